"""Every figure of every independent reference dataset matches what `paverkan stats` writes.

The folders under ``../shared/reference`` (R: base stats + survey, see its README) are
discovered, not listed, so a new dataset is checked without changing this file. The JSON is
walked generically: each reference field must have a computed counterpart (same path, or
one of the renames below) or the test fails, so nothing is silently left unchecked.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from survey.commands.stats import stats
from tests.analysis.conftest import REFERENCE_ROOT

FOLDERS = sorted(p for p in REFERENCE_ROOT.iterdir() if p.is_dir()) if (
    REFERENCE_ROOT.is_dir()) else []

EXACT = 1e-9


def readme_tolerances(readme: Path) -> tuple[float, float]:
    """The tolerances the reference's README gives for R's own ``fisher.test`` odds-ratio
    fields (uniroot's default tolerance) and for the ``_precise`` re-solve of the same.

    Read from the README's sentence ("compare these at 2e-3 and ... the `_precise` ones at
    1e-7"), so a reference that revises its accuracy revises the test with it."""
    text = readme.read_text(encoding="utf-8")
    coarse = re.search(r"[Cc]ompare (?:these|those)(?: fields)? at ([0-9.]+e-[0-9]+)", text)
    precise = re.search(r"`_precise`[^.]*? at ([0-9.]+e-[0-9]+)", text)
    assert coarse and precise, f"{readme} no longer states the Fisher tolerances"
    return float(coarse.group(1)), float(precise.group(1))


R_FISHER_TOLERANCE, PRECISE_TOLERANCE = readme_tolerances(REFERENCE_ROOT / "README.md")
#: GLM fits with R's default ``glm.control()``: up to 1.7e-4 relative off the converged
#: fit (README pitfall 8); ours reproduce R's iterations, so they agree far closer.
R_DEFAULT_CONTROL_TOLERANCE = 1e-4
#: Reference fields that are not figures: provenance of the R run, and R's own fitting
#: controls and warning texts (our fit's convergence is compared through ``converged``,
#: its estimates and deviance; its iteration count is the algorithm's, not a figure).
NOT_FIGURES = {
    ("meta", "dataset"), ("meta", "survey_file"), ("meta", "invited_file"),
    ("meta", "survey_md5"), ("meta", "invited_md5"), ("meta", "r_version"),
    ("meta", "packages"), ("meta", "survey_package_used"), ("meta", "generated_by"),
    ("logistic", "glm_control"), ("logistic", "warnings"), ("logistic", "iterations"),
}
PRECISE_SUFFIX = "_precise"
DEFAULT_CONTROL_SUFFIX = "_r_default_control"
R_FISHER_FIELDS = {"fisher_or_conditional_mle", "fisher_or_lower", "fisher_or_upper"}


@cache
def computed(folder: Path) -> dict[str, Any]:
    """What ``paverkan stats`` writes for the folder, the way a researcher would run it."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "stats.json"
        result = CliRunner().invoke(stats, ["--responses", str(folder / "survey.csv"),
                                            "--invited", str(folder / "invited.csv"),
                                            "--json", str(out), "--unsuppressed"])
        assert result.exit_code == 0, result.output
        return json.loads(out.read_text(encoding="utf-8"))


def compare(reference: Any, ours: Any, path: tuple[str, ...], tolerance: float,
            problems: list[str], counter: list[int]) -> None:
    """Walk ``reference`` and record every figure that differs from or is missing in ours."""
    where = "/".join(path)
    if isinstance(reference, dict):
        if not isinstance(ours, dict):
            problems.append(f"{where}: expected an object, got {ours!r}")
            return
        for key, value in reference.items():
            _compare_field(reference, key, value, ours, path, tolerance, problems, counter)
    elif isinstance(reference, list):
        if not isinstance(ours, list) or len(ours) != len(reference):
            problems.append(f"{where}: expected {len(reference)} entries, got {ours!r}")
            return
        for i, (ref_item, our_item) in enumerate(zip(reference, ours, strict=True)):
            compare(ref_item, our_item, (*path, str(i)), tolerance, problems, counter)
    else:
        counter[0] += 1
        if not _equal(reference, ours, tolerance):
            problems.append(f"{where}: reference {reference!r}, computed {ours!r}")


def _compare_field(parent: dict, key: str, value: Any, ours: dict, path: tuple[str, ...],
                   tolerance: float, problems: list[str], counter: list[int]) -> None:
    section = "logistic" if path and path[-1].startswith("logistic") else path[0] if path else ""
    if (section, key) in NOT_FIGURES:
        return
    if path == ("meta",) and key == "ordinal_item":
        counter[0] += 1
        if value not in ours.get("ordinal_items", ()):
            problems.append(f"meta/ordinal_item: {value!r} not among our ordinal items")
        return
    if key == "coefficients" and parent.get("separation_suspected"):
        separated = set(parent["gender_levels_with_zero_events_or_nonevents"])
        value = [c for c in value if c["level"] not in separated or c["variable"] != "gender"]
        for coefficient in ours.get("coefficients", []):
            if coefficient["variable"] == "gender" and coefficient["level"] in separated:
                counter[0] += 1
                if not coefficient["separated"] or coefficient["estimate"] is not None:
                    problems.append(f"{'/'.join(path)}/{coefficient['term']}: separated "
                                    "level reported with a coefficient")
        ours = {**ours, key: [c for c in ours.get(key, []) if not c.get("separated")]}
    our_key, field_tolerance = key, tolerance
    if key.endswith(PRECISE_SUFFIX):
        our_key, field_tolerance = key.removesuffix(PRECISE_SUFFIX), PRECISE_TOLERANCE
    elif key in R_FISHER_FIELDS:
        field_tolerance = R_FISHER_TOLERANCE
    elif key.endswith(DEFAULT_CONTROL_SUFFIX):
        field_tolerance = R_DEFAULT_CONTROL_TOLERANCE
    if our_key not in ours:
        problems.append(f"{'/'.join((*path, key))}: no computed value ({our_key})")
        return
    compare(value, ours[our_key], (*path, key), field_tolerance, problems, counter)


def _equal(reference: Any, ours: Any, tolerance: float) -> bool:
    if reference is None or isinstance(reference, (bool, str)):
        return reference == ours
    if not isinstance(ours, (int, float)) or isinstance(ours, bool):
        return False
    if reference == 0:
        return abs(ours) < 1e-15
    return math.isclose(reference, ours, rel_tol=tolerance, abs_tol=0)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_a_researcher_recomputing_in_r_gets_every_published_figure(folder: Path) -> None:
    """Every figure in reference.json equals ours: 1e-9 relative; R's fisher.test odds
    ratios and their ``_precise`` re-solve at the README's tolerances."""
    with (folder / "reference.json").open(encoding="utf-8") as handle:
        reference = json.load(handle)
    problems: list[str] = []
    counter = [0]
    ours = computed(folder)
    compare(reference, ours, (), EXACT, problems, counter)
    assert not problems, f"{len(problems)} of {counter[0]} figures differ:\n" + "\n".join(
        problems[:40])
    assert counter[0] > 1000
    assert ours["meta"]["weighted_default_design"] == "stratified"
    assert ours["disclosure"]["items"], "the suppression plan travels with the figures"


def test_the_reference_folders_are_found() -> None:
    """The shared reference is there and holds at least the first dataset."""
    assert FOLDERS, f"no reference folders under {REFERENCE_ROOT}"


def test_a_reference_field_we_do_not_compute_fails_the_comparison() -> None:
    """A figure added to the reference without a computed counterpart is reported."""
    problems: list[str] = []
    compare({"items": {"q": {"total": {"n": 3, "new_figure": 0.5}}}},
            {"items": {"q": {"total": {"n": 3}}}}, (), EXACT, problems, [0])
    assert problems == ["items/q/total/new_figure: no computed value (new_figure)"]


def test_a_figure_off_in_the_ninth_digit_fails_the_comparison() -> None:
    """The exact fields are held to 1e-9 relative, R's coarse Fisher estimate to the
    README's 2e-3 and the precise one to its 1e-7."""
    assert (R_FISHER_TOLERANCE, PRECISE_TOLERANCE) == (2e-3, 1e-7)
    problems: list[str] = []
    compare({"chisq_p": 0.0414071517665688, "fisher_or_lower": 1.00195448664169,
             "fisher_or_upper": 2.0, "fisher_or_upper_precise": 2.0},
            {"chisq_p": 0.0414071517665688 * (1 + 2e-9), "fisher_or_lower": 1.0019,
             "fisher_or_upper": 2.0 * (1 + 1e-6)},
            (), EXACT, problems, [0])
    assert [p.split(":")[0] for p in problems] == ["chisq_p", "fisher_or_upper_precise"]
