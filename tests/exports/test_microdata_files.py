"""A researcher opens the microdata in SPSS, Stata, R or Excel and finds every label."""

from __future__ import annotations

import csv
import json
import math

import openpyxl
import pandas as pd
import pyreadstat
from click.testing import CliRunner

from analysis import data as tidy_data
from analysis import report
from exports import microdata, writers
from exports.cells import FORMULA_STARTS
from questionnaires.model import NOT_ASKED, SKIPPED
from survey.commands.stats import stats
from tests.exports import simulated


def test_spss_file_keeps_variable_labels_value_labels_and_missing_values(exported, tmp_path):
    path = tmp_path / "data.sav"
    writers.write(exported, "sav", path)
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert len(frame) == len(exported.frame)
    labels = meta.column_names_to_labels
    assert labels["b1"].startswith("Har du under 2026 blivit utsatt")
    assert labels["exposed_any"] == exported.codebook.entry("exposed_any").label.sv
    assert meta.variable_value_labels["a4"] == {1.0: "Ja", 0.0: "Nej", -1.0: "Inte tillfrågad",
                                                -2.0: "Tillfrågad, inget svar",
                                                -8.0: "Vet inte", -9.0: "Vill inte svara"}
    for column in exported.columns:
        if column.missing:
            assert meta.missing_ranges[column.name] == [{"lo": -99.0, "hi": -1.0}], column.name
    # The instrument's 98 "vet inte" is -8 in SPSS, counted the same.
    assert (frame["a4"] == -8).sum() == (exported.frame["a4"] == 98).sum() > 0
    assert (frame["c7_1"] == NOT_ASKED).sum() == (exported.frame["c7_1"] == NOT_ASKED).sum()
    assert any("färre än 5 svar" in note for note in meta.notes)


def test_stata_file_declares_extended_missing_values_with_labels(exported, tmp_path):
    path = tmp_path / "data.dta"
    writers.write(exported, "dta", path)
    frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    assert meta.variable_value_labels["a4"] == {0: "Nej", 1: "Ja", "a": "Inte tillfrågad",
                                                "b": "Tillfrågad, inget svar", "d": "Vet inte",
                                                "r": "Vill inte svara"}
    assert set(meta.missing_user_values["a4"]) <= {"a", "b", "d", "r"}
    assert (frame["a4"] == "d").sum() == (exported.frame["a4"] == 98).sum() > 0
    assert (frame["b5"] == "a").sum() == (exported.frame["b5"] == NOT_ASKED).sum()
    assert (frame["b5"] == "b").sum() == (exported.frame["b5"] == SKIPPED).sum()
    for name, label in meta.column_names_to_labels.items():
        assert label and len(label) <= 80, name
    assert meta.column_names_to_labels["c7_99"] == (
        "Varför polisanmäldes inte händelsen? – Vill inte svara")
    # Stata's 80 characters cut the long grid labels; the codebook keeps them whole.
    cut = meta.column_names_to_labels["b1"]
    assert len(cut) == 80 and cut.endswith("…") and cut.startswith("Har du under 2026")


def test_csv_opens_in_swedish_excel_and_reproduces_every_figure(exported, instrument, raw,
                                                                 tmp_path):
    """`paverkan stats` on the exported csv, invited counts and frozen definition gives the
    same figures as the statistics on the stored answers."""
    data, invited, definition = (tmp_path / n for n in ("data.csv", "invited.csv", "q.json"))
    writers.write(exported, "csv", data)
    writers.write_invited(exported, invited)
    definition.write_text(instrument.canonical_json, encoding="utf-8")
    raw_bytes = data.read_bytes()
    assert raw_bytes.startswith("\ufeff".encode()) and "Linköping".encode() in raw_bytes
    header = raw_bytes.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("resp_id;municipality;group;a1;")

    out = tmp_path / "figures.json"
    result = CliRunner().invoke(stats, ["--responses", str(data), "--invited", str(invited),
                                        "--questionnaire", str(definition), "--json", str(out)])
    assert result.exit_code == 0, result.output
    responses, counts = raw
    expected = report.build(tidy_data.from_questionnaire(responses, counts, instrument))
    assert_same_figures(json.loads(out.read_text()),
                        json.loads(json.dumps(expected, allow_nan=False)))


def assert_same_figures(found, expected, path: str = "") -> None:
    """Equal structure, counts and labels; floats equal up to the last digits (the regression
    sums rows in another order)."""
    if isinstance(expected, dict):
        assert found.keys() == expected.keys(), path
        for key in expected:
            assert_same_figures(found[key], expected[key], f"{path}/{key}")
    elif isinstance(expected, list):
        assert len(found) == len(expected), path
        for index, (a, b) in enumerate(zip(found, expected, strict=True)):
            assert_same_figures(a, b, f"{path}[{index}]")
    elif isinstance(expected, float) and isinstance(found, float):
        assert math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-12), path
    else:
        assert found == expected, path


def test_rows_are_ordered_by_content_not_by_arrival(instrument, raw):
    responses, invited = raw
    shuffled = responses.sample(frac=1, random_state=3).reset_index(drop=True)
    again = microdata.prepare(shuffled, invited, instrument, title="t", min_cell=5)
    first = microdata.prepare(responses, invited, instrument, title="t", min_cell=5)
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert list(first.frame["resp_id"]) == list(range(1, len(responses) + 1))


def test_no_text_cell_of_csv_or_xlsx_can_run_as_a_formula(instrument, raw, tmp_path):
    responses, invited = raw
    hostile = responses.copy()
    hostile["unit"] = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\tx", "\ry",
                       "Soc", "Tek"] * (len(hostile) // 8)
    hostile["f1"] = "=1+1"
    micro = microdata.prepare(hostile, invited, instrument, title="=HYPERLINK(1)",
                              min_cell=1, free_text=True)
    writers.write(micro, "csv", tmp_path / "d.csv")
    writers.write(micro, "xlsx", tmp_path / "d.xlsx")
    with open(tmp_path / "d.csv", encoding="utf-8-sig", newline="") as file:
        cells = [cell for row in csv.reader(file, delimiter=";") for cell in row]
    texts = [c for c in cells if c and not c.lstrip("-").isdigit()]
    assert texts and not [c for c in texts if c.startswith(FORMULA_STARTS)]
    assert "'=cmd|' /C calc'!A0" in cells
    workbook = openpyxl.load_workbook(tmp_path / "d.xlsx")
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s" and not cell.value.startswith(FORMULA_STARTS)


def test_small_strata_are_left_out_and_small_units_merged(instrument):
    strata = {**{(m, g): 30 for m in simulated.MUNICIPALITIES for g in simulated.GROUPS},
              ("Kinda", "förtroendevald"): 3}
    units = {("Linköping", "medarbetare"): ["Socialförvaltningen"] * 12 + ["Tekniska"] * 12
             + ["Kultur"]}
    responses = simulated.responses(instrument, strata, seed=2, units=units)
    micro = microdata.prepare(responses, simulated.invited(strata), instrument, title="t",
                              min_cell=5)
    assert "Kinda" not in set(micro.frame["municipality"])
    assert "Kinda" not in set(micro.invited["municipality"])
    staff = micro.frame[(micro.frame["municipality"] == "Linköping")
                        & (micro.frame["group"] == "medarbetare")]
    sizes = staff["unit"].value_counts()
    assert "Kultur" not in sizes and sizes.min() >= 5
    assert "Övriga enheter" in sizes
    assert "Utelämnade strata: Kinda / förtroendevald" in micro.rule()
    assert "3" not in micro.rule().split("Utelämnade")[1]  # the small count is not stated


def test_xlsx_holds_codes_labels_and_what_the_file_is(exported, tmp_path):
    writers.write(exported, "xlsx", tmp_path / "d.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "d.xlsx", read_only=True)
    assert workbook.sheetnames == ["Data", "Variabler", "Om filen"]
    rows = list(workbook["Data"].values)
    assert len(rows) == len(exported.frame) + 1
    assert rows[0][:4] == ("resp_id", "municipality", "group", "a1")
    about = dict(workbook["Om filen"].values)
    assert about["Fingeravtryck"] == exported.codebook.fingerprint
    assert "färre än 5 svar" in about["Små grupper"]


def test_stata_takes_a_question_the_first_hundred_rows_were_not_asked(instrument, tmp_path):
    """A2 is asked of staff only, and 150 elected officials sort first: narwhals, which
    pyreadstat asks for the column's type, reads 100 values and would take it for text."""
    strata = {("Linköping", "förtroendevald"): 150, ("Linköping", "medarbetare"): 20}
    responses = simulated.responses(instrument, strata, seed=4)
    micro = microdata.prepare(responses, simulated.invited(strata), instrument, title="t",
                              min_cell=5)
    assert (micro.frame["a2"].iloc[:100] == NOT_ASKED).all()
    writers.write(micro, "dta", tmp_path / "d.dta")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "d.dta"), user_missing=True)
    answered = frame["a2"].map(lambda v: not isinstance(v, str))
    assert answered.sum() == micro.frame["a2"].isin([0, 1]).sum() > 0
    assert (frame["a2"] == "a").sum() == 150
