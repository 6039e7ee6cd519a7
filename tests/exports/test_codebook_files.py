"""The codebook tells a researcher every variable, who was asked and how missing is coded."""

from __future__ import annotations

import re

import openpyxl

from exports import codebook


def test_swedish_codebook_is_swedish_throughout(exported, tmp_path):
    text = codebook.markdown(exported)
    for english in ("single", "grid", "substantive", "refused", "dont_know", "ordinal)", "Yes",
                    "derived", "collapse", "Everyone"):
        assert not re.search(rf"\b{re.escape(english)}", text.split("## Variabler")[1]), english
    assert exported.codebook.fingerprint in text
    assert "| Inte tillfrågad | -1 | -1 | .a |" in text
    assert "färre än 5 svar" in text


def test_xlsx_codebook_has_a_row_per_variable_with_condition_formula_and_missing(
        exported, tmp_path):
    path = tmp_path / "kodbok.xlsx"
    codebook.write_xlsx(exported, path)
    sheet = openpyxl.load_workbook(path)["Kodbok"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in sheet[1]]
    a2 = dict(zip(header, rows["a2"], strict=True))
    assert a2["Villkor (uttryck)"] == "group == 2"
    assert a2["Tillfrågade"] == 'group är 2 "Medarbetare"'
    assert "Vill inte svara: 99, -9, .r" in a2["Saknade värden (csv/xlsx; SPSS; Stata)"]
    derived = dict(zip(header, rows["exposed_any"], strict=True))
    assert derived["Formel"].startswith("any(b1 in (1, 2, 3)")
    assert derived["Typ"] == "beräknad (indikator (0/1))"
    f1 = dict(zip(header, rows["f1"], strict=True))
    assert f1["I filen"].startswith("nej")
    assert set(rows) >= {"resp_id", "municipality", "group"}
