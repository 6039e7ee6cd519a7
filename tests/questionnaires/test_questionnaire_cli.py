"""The security unit checks, fingerprints, compares and documents definitions from the shell."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import questionnaires
from survey.commands.questionnaire import questionnaire

DEFINITIONS = Path(__file__).parent / "definitions"
MINIMAL = DEFINITIONS / "minimal.yaml"
DEFAULT = questionnaires.DEFAULT_DEFINITION


def run(*args):
    return CliRunner().invoke(questionnaire, [str(a) for a in args])


def test_check_prints_the_fingerprint_of_each_good_file_and_exits_0():
    result = run("check", DEFAULT, MINIMAL)
    assert result.exit_code == 0, result.output
    fingerprint = questionnaires.load(DEFAULT).fingerprint
    assert f"{DEFAULT}: ok, 45 variables, fingerprint {fingerprint}" in result.output
    assert f"{MINIMAL}: ok" in result.output


def test_check_lists_located_errors_and_exits_1():
    bad = DEFINITIONS / "bad" / "many-problems.yaml"
    result = run("check", MINIMAL, bad)
    assert result.exit_code == 1
    assert f"{bad}:2:8: the title is missing the key 'en'" in result.output
    assert f"{bad}:17:14: min 3 is greater than max 1" in result.output


def test_fingerprint_prints_one_line_per_file_like_sha256sum():
    result = run("fingerprint", MINIMAL, DEFINITIONS / "minimal-restyled.yaml")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[0] == lines[1].split()[0] == questionnaires.load(MINIMAL).fingerprint
    assert lines[1].endswith("minimal-restyled.yaml")


def test_diff_says_identical_for_a_restyled_file():
    result = run("diff", MINIMAL, DEFINITIONS / "minimal-restyled.yaml")
    assert result.exit_code == 0
    assert result.output == "differences: identical\n"


def test_diff_names_structural_changes(tmp_path):
    changed = tmp_path / "changed.yaml"
    changed.write_text(MINIMAL.read_text().replace("group == 1", "group == 2"))
    result = run("diff", MINIMAL, changed)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "differences: structure",
        "structure: q1: asked if group == 1 → group == 2",
    ]


def test_codebook_prints_markdown_in_the_chosen_language():
    swedish = run("codebook", DEFAULT)
    english = run("codebook", DEFAULT, "--lang", "en")
    assert swedish.exit_code == english.exit_code == 0
    assert swedish.output.startswith("# Otillåten påverkan")
    assert "### exposed_any" in swedish.output and "## Beräknade variabler" in swedish.output
    assert "## Computed variables" in english.output


def test_a_missing_file_is_a_usage_error():
    result = run("check", DEFINITIONS / "nonexistent.yaml")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_the_installed_paverkan_command_checks_the_default_instrument():
    """The acceptance command, run as the security unit runs it."""
    paverkan = Path(sys.executable).parent / "paverkan"
    result = subprocess.run(
        [str(paverkan), "questionnaire", "check", str(DEFAULT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert questionnaires.load(DEFAULT).fingerprint in result.stdout


def latin1_copy(tmp_path):
    """The minimal definition saved by an editor in Latin-1, with where its first non-ASCII
    letter (the "ä" of "Liten enkät") is."""
    text = MINIMAL.read_text(encoding="utf-8")
    first = next(i for i, char in enumerate(text) if not char.isascii())
    line = text.count("\n", 0, first) + 1
    column = first - (text.rfind("\n", 0, first) + 1) + 1
    path = tmp_path / "latin1.yaml"
    path.write_bytes(text.encode("latin-1"))
    return path, line, column


def test_a_definition_saved_as_latin1_is_located_not_a_traceback(tmp_path):
    """Every command that reads a definition names the file, line and column of the bad
    byte and exits 1."""
    path, line, column = latin1_copy(tmp_path)
    for args in (("check", path), ("fingerprint", path), ("diff", MINIMAL, path),
                 ("codebook", path)):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{path}:{line}:{column}: not a UTF-8 text file (byte 0xe4" in result.output


def test_a_program_given_by_mistake_is_refused_as_not_text():
    """`paverkan questionnaire check /bin/ls`: a binary is not a definition."""
    binary = Path(sys.executable).resolve()
    result = run("check", binary)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{binary}:" in result.output and "not a UTF-8 text file" in result.output
    assert "Traceback" not in result.output


def test_loading_a_directory_or_a_vanished_file_is_a_definition_error(tmp_path):
    """The library call behind `round create --definition` reports unreadable paths too."""
    for path, reason in ((tmp_path, "is a directory"),
                         (tmp_path / "gone.yaml", "No such file or directory")):
        try:
            questionnaires.load(path)
        except questionnaires.DefinitionError as error:
            assert str(error) == f"{path}:0:0: cannot read: {reason}"
        else:
            raise AssertionError(f"{path} loaded")
