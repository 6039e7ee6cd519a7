"""The default instrument loads, keeps its promised variable names and computes tidy rows."""

import questionnaires
from questionnaires import tidy
from questionnaires.model import NOT_ASKED, SKIPPED, QuestionType, VariableKind

ELECTED = {"group": 1, "municipality": 580}
STAFF = {"group": 2, "municipality": 581}


def default():
    return questionnaires.load(questionnaires.DEFAULT_DEFINITION)


def test_the_default_instrument_loads_with_the_agreed_variable_names():
    """Other layers code against a1..a4, b1..b11, c1..c9, d1..d9, e1..e3, f1, f2."""
    names = [v.name for v in default().variables]
    expected = (
        [f"a{i}" for i in range(1, 5)]
        + [f"b{i}" for i in range(1, 12)]
        + [f"c{i}" for i in range(1, 7)]
        + [f"c7_{c}" for c in (1, 2, 3, 4, 5, 6, 7, 99)]
        + ["c8", "c9"]
        + [f"d{i}" for i in range(1, 10)]
        + ["e1", "e2", "e3", "f1", "f2"]
    )
    assert names == expected
    assert [d.name for d in default().derived] == [
        "exposed_any",
        "exposed_threat",
        "exposed_violence",
        "exposed_bribe",
    ]


def test_every_closed_item_lets_the_respondent_decline_with_code_99():
    """INSTRUMENT.md: no question is mandatory and every item allows "Vill inte svara"."""
    for question in default().questions:
        if question.type in (QuestionType.NUMBER, QuestionType.TEXT):
            continue
        codes = {o.code: o for o in question.options}
        assert 99 in codes and not codes[99].substantive, question.id


def test_exposure_items_use_the_agreed_frequency_scale():
    questionnaire = default()
    b1 = questionnaire.variable("b1")
    assert [o.code for o in b1.options] == [0, 1, 2, 3, 99]
    assert b1.yes_codes == (1, 2, 3)
    assert b1.kind is VariableKind.ORDINAL


def test_free_text_is_always_marked_sensitive():
    questionnaire = default()
    assert questionnaire.variable("f1").sensitive and questionnaire.variable("f2").sensitive


def test_pages_stay_phone_sized():
    """A respondent on a phone sees a handful of questions (at most six rows) per page."""
    for page in default().pages:
        rows = sum(max(1, len(q.items)) for q in page.questions)
        assert rows <= 6, page.id


def test_an_elected_official_is_asked_a1_and_staff_are_asked_a2_and_a3():
    questionnaire = default()
    elected = tidy.row(questionnaire, ELECTED)
    staff = tidy.row(questionnaire, STAFF)
    assert (elected["a1"], elected["a2"], elected["a3"]) == (SKIPPED, NOT_ASKED, NOT_ASKED)
    assert (staff["a1"], staff["a2"], staff["a3"]) == (NOT_ASKED, SKIPPED, SKIPPED)


def test_an_unexposed_respondent_skips_the_incident_section():
    answers = {**STAFF, **{f"b{i}": 0 for i in range(1, 12)}}
    row = tidy.row(default(), answers)
    assert row["c1"] == NOT_ASKED and row["c7_1"] == NOT_ASKED and row["f1"] == NOT_ASKED
    assert row["exposed_any"] == 0 and row["b1_ja"] == 0
    assert row["d1"] == SKIPPED


def test_an_exposed_respondent_who_did_not_report_is_asked_why():
    answers = {**ELECTED, "b5": 2, "c6": 0, "c7_1": 1, "c7_4": 1}
    row = tidy.row(default(), answers)
    assert row["c1"] == SKIPPED
    assert (row["c7_1"], row["c7_4"], row["c7_2"]) == (1, 1, SKIPPED)
    assert row["exposed_any"] == 1 and row["exposed_threat"] == 1
    assert row["exposed_violence"] is None


def test_refusing_every_exposure_item_leaves_the_respondent_out_of_the_shares():
    """Nobody is counted as "not exposed" because they refused every exposure item."""
    answers = {**STAFF, **{f"b{i}": 99 for i in range(1, 12)}}
    row = tidy.row(default(), answers)
    assert row["exposed_any"] is None and row["b1_ja"] is None
    assert row["b1"] == 99


def test_answers_left_over_from_a_changed_filter_answer_are_ignored():
    """A respondent who first said "reported: no", answered C7, then changed C6 to "yes"."""
    answers = {**ELECTED, "b1": 1, "c6": 1, "c7_1": 1}
    row = tidy.row(default(), answers)
    assert row["c7_1"] == NOT_ASKED


def test_the_round_rebuilds_the_same_instrument_from_its_frozen_canonical_json():
    questionnaire = default()
    rebuilt = questionnaires.from_canonical_json(questionnaire.canonical_json)
    assert rebuilt == questionnaire
    assert rebuilt.fingerprint == questionnaire.fingerprint
    assert rebuilt.canonical_json == questionnaire.canonical_json


def test_indicators_list_options_collapses_and_derived_variables_for_the_statistics():
    found = {i.name: i for i in tidy.indicators(default())}
    assert found["c7_1"].kind is tidy.IndicatorKind.OPTION
    assert "c7_99" not in found
    assert found["b1_ja"].kind is tidy.IndicatorKind.COLLAPSE and found["b1_ja"].source == "b1"
    assert found["exposed_any"].kind is tidy.IndicatorKind.DERIVED
    assert "Ja, en gång" in found["b1_ja"].label.sv


def test_texts_name_the_reference_year_through_the_year_placeholder():
    page = default().pages[1]
    assert "{year}" in page.title.sv
    assert page.title.render("sv", 2025) == "Trakasserier och hat under 2025"
    assert page.title.render("en", 2025) == "Harassment and hate in 2025"


def test_the_instrument_layer_imports_no_upper_layer_and_no_flask():
    """questionnaires/ is pure Python: the statistics and exports can use it anywhere (its
    problems are translated by survey/, not here)."""
    import subprocess
    import sys

    code = (
        "import sys, questionnaires, questionnaires.codebook, questionnaires.tidy;"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'flask_babel', 'babel', 'survey', 'analysis', 'exports', 'sqlalchemy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
