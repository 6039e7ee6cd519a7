"""Benchmark: microdata exports of 100,000 responses, against baselines from the same run.

* preparing the microdata (every response's tidy row, strata rule, content order) against
  ``analysis.data.from_questionnaire`` on the same responses, which expands the same rows
  for the statistics;
* the ``.sav`` writer (labels, value labels, missing ranges, notes, fitted names) against
  ``pyreadstat.write_sav`` writing the same frame with nothing but the data;
* the ``.xlsx`` writer (three sheets, neutralised text) against XlsxWriter writing the same
  frame's cells directly in constant-memory mode;
* the ``.dta`` and ``.csv`` writers, for the record, against the same two baselines'
  counterparts (``pyreadstat.write_dta``, ``DataFrame.to_csv``).

Each figure is the best of ``--repeat`` runs. Responses are simulated distinct ones
(a few thousand walks of the questionnaire, repeated with shuffled order up to the size).
Run: .venv/bin/python bench/export.py [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stats import best_of  # noqa: E402  (bench/stats.py, beside this script)

import questionnaires  # noqa: E402
from analysis import data as tidy_data  # noqa: E402
from exports import microdata, writers  # noqa: E402
from tests.exports import simulated  # noqa: E402


def plain_xlsx(frame: pd.DataFrame, path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Data")
    sheet.write_row(0, 0, list(frame.columns))
    for row, values in enumerate(frame.itertuples(index=False), start=1):
        sheet.write_row(row, 0, [None if isinstance(v, float) and v != v else v for v in values])
    workbook.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-prepare-baseline", action="store_true",
                        help="skip from_questionnaire (minutes on a loaded machine)")
    options = parser.parse_args()
    instrument = questionnaires.load(questionnaires.DEFAULT_DEFINITION)
    strata = {(m, g): 1250 for m in simulated.MUNICIPALITIES for g in simulated.GROUPS}
    walked = simulated.responses(instrument, strata, seed=11)
    copies = -(-options.rows // len(walked))
    responses = pd.concat([walked] * copies, ignore_index=True).iloc[:options.rows]
    responses = responses.sample(frac=1, random_state=1).reset_index(drop=True)
    per_stratum = responses.groupby(["municipality", "group"]).size()
    invited = pd.DataFrame([{"municipality": m, "group": g, "invited": n * 2}
                            for (m, g), n in per_stratum.items()])

    prepared = {}

    def prepare() -> None:
        prepared["m"] = microdata.prepare(responses, invited, instrument, title="Bench",
                                          min_cell=5, year=2026)

    coded = [v.name for v in instrument.variables if v.kind.value != "text"]
    figures = {"prepare": best_of(1, prepare)}
    if not options.no_prepare_baseline:
        figures["from_questionnaire (baseline)"] = best_of(1, lambda: (
            tidy_data.from_questionnaire(responses[["municipality", "group", *coded]],
                                         invited, instrument)))
    micro = prepared["m"]
    frame = micro.frame
    numeric = frame.copy()
    for column in micro.columns:
        if column.storage == "number":
            numeric[column.name] = pd.to_numeric(numeric[column.name]).astype(float)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for name, fn in {
            "sav": lambda: writers.write(micro, "sav", out / "a.sav"),
            "pyreadstat.write_sav (baseline)": lambda: pyreadstat.write_sav(numeric,
                                                                            str(out / "b.sav")),
            "xlsx": lambda: writers.write(micro, "xlsx", out / "a.xlsx"),
            "XlsxWriter rows (baseline)": lambda: plain_xlsx(numeric, out / "b.xlsx"),
            "dta": lambda: writers.write(micro, "dta", out / "a.dta"),
            "pyreadstat.write_dta (baseline)": lambda: pyreadstat.write_dta(numeric,
                                                                            str(out / "b.dta")),
            "csv": lambda: writers.write(micro, "csv", out / "a.csv"),
            "DataFrame.to_csv (baseline)": lambda: numeric.to_csv(out / "b.csv", sep=";"),
        }.items():
            figures[name] = best_of(options.repeat, fn)
    print(f"{len(frame)} responses, {len(micro.columns)} columns")
    for name, seconds in figures.items():
        print(f"  {name:34s} {seconds:8.2f} s")
    pairs = (("prepare", "from_questionnaire (baseline)"),
             ("sav", "pyreadstat.write_sav (baseline)"),
             ("xlsx", "XlsxWriter rows (baseline)"),
             ("dta", "pyreadstat.write_dta (baseline)"),
             ("csv", "DataFrame.to_csv (baseline)"))
    for ours, baseline in pairs:
        if baseline not in figures:
            continue
        print(f"  {ours:6s} / baseline: {figures[ours] / figures[baseline]:.2f}")


if __name__ == "__main__":
    main()
