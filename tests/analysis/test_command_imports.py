"""`paverkan stats` starts quickly: a fresh process loads the statistics, not the web stack's
administration, and the web commands do not load the statistics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.analysis.conftest import REFERENCE_A as REFERENCE

PROBE = """
import json, sys
from survey.cli import cli
cli.main(sys.argv[1:], prog_name="paverkan", standalone_mode=False)
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by(*arguments: str) -> set[str]:
    """Top-level and package modules a fresh ``paverkan ARGUMENTS`` process has imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, *arguments], check=True,
                            capture_output=True, text=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_a_researcher_running_stats_loads_neither_scipy_stats_nor_the_admin_pages(
        tmp_path: Path) -> None:
    """The statistics need numpy, pandas and the HiGHS solver, no scipy at all (its
    special functions alone cost a tenth of a second, scipy.stats or scipy.optimize a
    quarter; the tails are written with math) nor statsmodels, nor PyYAML (the
    questionnaire loader); no other command's module is imported, nor Flask."""
    loaded = modules_loaded_by("stats", "--responses", str(REFERENCE / "survey.csv"),
                               "--invited", str(REFERENCE / "invited.csv"),
                               "--json", str(tmp_path / "out.json"))
    assert "analysis.report" in loaded and (tmp_path / "out.json").exists()
    assert not {m for m in loaded if m.split(".")[0] == "statsmodels"}
    assert not {m for m in loaded if m.split(".")[0] in ("scipy", "yaml")}
    assert not {"survey.admin", "survey.commands.mail", "survey.commands.db",
                "survey.commands.round", "survey.commands.recipients"} & loaded
    assert not {"survey.app", "sqlalchemy", "alembic"} & loaded, "no web app or database"
    assert not {m for m in loaded if m.split(".")[0] in ("flask", "werkzeug", "jinja2")}


def test_an_administrator_checking_a_questionnaire_does_not_load_the_statistics() -> None:
    """Commands are imported when invoked, so scipy and analysis stay out of other commands."""
    loaded = modules_loaded_by("questionnaire", "--help")
    assert "survey.commands.questionnaire" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"scipy", "analysis", "statsmodels"}}
