"""Benchmark: `paverkan stats` on a shared reference round, against baselines from the same run.

Two kinds of figures, each with baselines measured in the same run on the same files, so the
ratios stay comparable on a loaded or slower machine:

* fresh process (what a researcher's shell sees, imports included): the command against
  ``python -c pass`` (interpreter start) and ``python -c "import pandas"`` (the least any
  pandas-based tool pays), with the import of the command and the statistics modules alone
  (no scipy: its special functions, root finder and solvers cost a quarter of a second);
* in process (imports done): the command against pandas reading the response CSV and a
  plain scipy loop of Wilson intervals for every item x cell (what a hand-written script
  would do for the shares alone).

* county scale (fresh processes of ``paverkan stats``, published form, disclosure plan
  included): 13 municipalities x {1,000, 10,000, 100,000} responses
  (:func:`analysis.synthetic.county_round`: five municipalities with two to four elected
  officials), against two municipalities x 100,000 in the same run (the target: 13 x 100,000
  within twice that, 13 x 1,000 under 3 s), with each process's peak memory.

Every figure is the best of several runs (the minimum is the least disturbed by other load).
Run: .venv/bin/python bench/stats.py [REFERENCE_FOLDER] [--repeat N] [--county-repeat N]
[--no-county]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from scipy.stats import binomtest

from analysis.synthetic import county_round
from survey.commands.stats import stats

ROOT = Path(__file__).resolve().parent.parent
#: ``shared/reference/a`` beside the checkout (``/work/main`` or a worktree under it).
DEFAULT_FOLDER = next((parent / "shared" / "reference" / "a" for parent in ROOT.parents
                       if (parent / "shared" / "reference" / "a").is_dir()),
                      ROOT.parent / "shared" / "reference" / "a")
PYTHON = ROOT / ".venv" / "bin" / "python"
PAVERKAN = ROOT / ".venv" / "bin" / "paverkan"


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process(*command: str | Path) -> Callable[[], None]:
    """A function running ``command`` as a fresh process (failing loudly)."""
    return lambda: subprocess.run([str(c) for c in command], check=True, capture_output=True)


#: A fresh ``paverkan stats`` that reports its wall time and peak memory on its last line.
#: The peak is the process's own (``VmHWM``): ``ru_maxrss`` survives exec, so it reported
#: the benchmark's memory (holding 100,000 responses) as every child's.
MEASURED_STATS = """
import json, sys, time
start = time.perf_counter()
from survey.cli import cli
cli.main(["stats", *sys.argv[1:]], prog_name="paverkan", standalone_mode=False)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mib": peak / 1024}))
"""
#: (municipalities, responses) of the county cases; the first is the baseline.
COUNTY_CASES = ((2, 100_000), (13, 1_000), (13, 10_000), (13, 100_000))


def county_stats(municipalities: int, responses: int, scratch: Path,
                 repeat: int) -> tuple[float, float]:
    """Best wall time and its peak memory (MiB) of a fresh ``paverkan stats`` on a
    synthetic round."""
    data = county_round(responses, municipalities=municipalities)
    survey, invited = scratch / "county.csv", scratch / "county_invited.csv"
    data.responses.to_csv(survey, index=False)
    data.invited.to_csv(invited, index=False)
    runs = []
    for _ in range(repeat):
        result = subprocess.run(
            [str(PYTHON), "-c", MEASURED_STATS, "--responses", str(survey), "--invited",
             str(invited), "--json", str(scratch / "county.json")],
            check=True, capture_output=True, text=True)
        measured = json.loads(result.stdout.splitlines()[-1])
        runs.append((measured["seconds"], measured["peak_mib"]))
    return min(runs)


def wilson_loop(frame: pd.DataFrame) -> None:
    items = [c for c in frame.columns if c.startswith("q_") and c != "q_worry"]
    for item in items:
        for _, cell in frame.groupby(["municipality", "group"]):
            answers = cell[item].dropna()
            if len(answers):
                binomtest(int(answers.sum()), len(answers)).proportion_ci(method="wilson")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--county-repeat", type=int, default=2)
    parser.add_argument("--no-county", action="store_true",
                        help="skip the county-scale cases (minutes on a loaded machine)")
    options = parser.parse_args()
    folder, repeat = options.folder, options.repeat
    responses, invited = folder / "survey.csv", folder / "invited.csv"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "stats.json"
        arguments = ["--responses", str(responses), "--invited", str(invited),
                     "--json", str(out)]

        def in_process() -> None:
            result = CliRunner().invoke(stats, arguments)
            if result.exit_code:
                raise SystemExit(result.output)

        start_python = best_of(repeat, process(PYTHON, "-c", "pass"))
        import_pandas = best_of(repeat, process(PYTHON, "-c", "import pandas"))
        import_statistics = best_of(repeat, process(
            PYTHON, "-c", "import analysis.data, analysis.report, survey.cli"))
        fresh = best_of(repeat, process(PAVERKAN, "stats", *arguments))
        read = best_of(repeat, lambda: pd.read_csv(responses))
        frame = pd.read_csv(responses)
        wilson = best_of(repeat, lambda: wilson_loop(frame))
        command = best_of(repeat, in_process)
        size = out.stat().st_size

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f} ms"

    print(f"reference folder: {folder} ({len(frame)} responses), best of {repeat}")
    print("fresh process")
    print(f"  python -c pass (baseline)            {ms(start_python)}")
    print(f"  python -c 'import pandas' (baseline) {ms(import_pandas)}")
    print(f"  import the command and statistics    {ms(import_statistics)}")
    print(f"  paverkan stats                       {ms(fresh)}  = "
          f"{fresh / import_pandas:4.1f} x import pandas (JSON {size / 1024:.0f} KiB)")
    print("in process")
    print(f"  pandas read_csv (baseline)           {ms(read)}")
    print(f"  scipy Wilson loop, items x cells     {ms(wilson)}")
    print(f"  paverkan stats                       {ms(command)}  = "
          f"{command / read:4.0f} x read_csv, {command / wilson:4.1f} x Wilson loop")
    print(f"  imports and start-up (fresh - in process) {ms(fresh - command)}")
    if options.no_county:
        return
    print(f"county scale: fresh paverkan stats, published form, best of {options.county_repeat}")
    with tempfile.TemporaryDirectory() as scratch:
        measured = {case: county_stats(*case, Path(scratch), options.county_repeat)
                    for case in COUNTY_CASES}
    baseline = measured[COUNTY_CASES[0]][0]
    for (municipalities, responses), (seconds, peak) in measured.items():
        print(f"  {municipalities:2d} municipalities x {responses:7,d} responses "
              f"{seconds:7.2f} s = {seconds / baseline:4.2f} x (2 x 100,000), "
              f"peak {peak:5.0f} MiB")


if __name__ == "__main__":
    main()
