"""Names and labels fit SPSS and Stata by one rule that never makes two variables one."""

from __future__ import annotations

from exports import naming


def test_names_that_fit_are_kept_and_the_others_shortened_the_same_way_every_time():
    long = "a_very_long_question_identifier_x"  # 33 characters
    names = ["b1", long, long + "_ja", "in", "str12"]
    stata = naming.short_names(names, naming.STATA)
    assert stata["b1"] == "b1"
    assert all(len(n) <= 32 for n in stata.values())
    assert stata[long].startswith("a_very_long_question_identi_")
    assert stata["in"] != "in" and stata["str12"] != "str12"
    assert naming.short_names(names, naming.STATA) == stata
    assert naming.short_names(names, naming.SPSS)[long + "_ja"] == long + "_ja"


def test_shortened_names_never_collide_even_without_regard_to_case():
    stem = "x" * 27
    names = [f"{stem}{suffix}" for suffix in ("_ja_1", "_ja_2", "_ja_3", "_jb_1")] + ["B1", "b1"]
    short = naming.short_names(names, naming.STATA)
    assert len({n.lower() for n in short.values()}) == len(names)


def test_labels_are_cut_by_bytes_for_spss_and_value_labels_stay_distinct():
    label = "Förtroendevald " * 20
    cut = naming.variable_label(label, naming.SPSS)
    assert len(cut.encode()) <= 256 and cut.endswith("…")
    values = naming.value_labels({1: "å" * 100 + "ett", 2: "å" * 100 + "två"}, naming.SPSS)
    assert values[1] != values[2] and all(len(v.encode()) <= 120 for v in values.values())


def test_the_exports_layer_imports_neither_flask_nor_the_database():
    """exports/ writes files from the tidy table; only survey/ knows the web and the database."""
    import subprocess
    import sys

    code = (
        "import sys, exports.microdata, exports.writers, exports.codebook, exports.redaction;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'survey', 'sqlalchemy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
