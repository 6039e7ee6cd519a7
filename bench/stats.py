"""Benchmark: `paverkan stats` on a shared reference round, against baselines from the same run.

Baselines, measured on the same files in the same process: pandas reading the response CSV,
and a plain scipy loop of Wilson intervals for every item x cell (what a hand-written script
would do for the shares alone). The ratios say what the full set of figures, tests, models
and the suppression plan cost on this machine, whatever its load. The command is timed in
process (best of several runs) and once as a fresh process, imports included.
Run: .venv/bin/python bench/stats.py [REFERENCE_FOLDER]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from scipy.stats import binomtest

from survey.commands.stats import stats

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT.parent / "shared" / "reference" / "a"


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wilson_loop(frame: pd.DataFrame) -> None:
    items = [c for c in frame.columns if c.startswith("q_") and c != "q_worry"]
    for item in items:
        for _, cell in frame.groupby(["municipality", "group"]):
            answers = cell[item].dropna()
            if len(answers):
                binomtest(int(answers.sum()), len(answers)).proportion_ci(method="wilson")


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    responses, invited = folder / "survey.csv", folder / "invited.csv"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "stats.json"
        arguments = ["--responses", str(responses), "--invited", str(invited),
                     "--json", str(out)]

        def run() -> None:
            result = CliRunner().invoke(stats, arguments)
            if result.exit_code:
                raise SystemExit(result.output)

        read = best_of(5, lambda: pd.read_csv(responses))
        frame = pd.read_csv(responses)
        wilson = best_of(5, lambda: wilson_loop(frame))
        command = best_of(3, run)
        start = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "paverkan"), "stats", *arguments],
                       check=True, capture_output=True)
        fresh = time.perf_counter() - start
        size = out.stat().st_size
    print(f"reference folder: {folder} ({len(frame)} responses)")
    print(f"pandas read_csv (baseline):          {read * 1000:8.1f} ms")
    print(f"scipy Wilson loop, items x cells:     {wilson * 1000:8.1f} ms")
    print(f"paverkan stats, in process (best/3):  {command * 1000:8.1f} ms  "
          f"= {command / read:6.0f} x read_csv, {command / wilson:5.1f} x Wilson loop")
    print(f"paverkan stats, fresh process:        {fresh * 1000:8.1f} ms  "
          f"(imports included; JSON {size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
