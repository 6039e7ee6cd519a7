"""A researcher who hands `paverkan stats` the wrong files gets told which file, row and
column is wrong, with exit status 1, instead of a traceback or figures that look right."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import questionnaires
from analysis import data as tidy_data
from survey.commands.stats import stats

HEADER = "municipality,group,gender,q_threat,q_worry"
GOOD_INVITED = """municipality,group,invited
Linköping,förtroendevald,40
Linköping,medarbetare,60
Norrköping,förtroendevald,40
Norrköping,medarbetare,60
"""


def responses_text(threat: list[str] | None = None) -> str:
    """Six responses per stratum (24 rows) with a 0/1 item and a 0-3 scale."""
    strata = [(m, g) for m in ("Linköping", "Norrköping")
              for g in ("förtroendevald", "medarbetare")]
    rows = [(m, g, ("kvinna", "man")[i % 2], str(i % 2), str(i % 4))
            for m, g in strata for i in range(6)]
    if threat is not None:
        rows = [(*row[:3], value, row[4]) for row, value in zip(rows, threat, strict=True)]
    return "\n".join([HEADER, *(",".join(row) for row in rows)]) + "\n"


def run_stats(tmp_path: Path, responses: str = "", invited: str = GOOD_INVITED,
              *options: str) -> tuple[Result, Path, Path]:
    responses_file = tmp_path / "survey.csv"
    invited_file = tmp_path / "invited.csv"
    responses_file.write_text(responses or responses_text(), encoding="utf-8")
    invited_file.write_text(invited, encoding="utf-8")
    result = CliRunner().invoke(stats, ["--responses", str(responses_file), "--invited",
                                        str(invited_file), "--json",
                                        str(tmp_path / "out.json"), *options])
    return result, responses_file, invited_file


def assert_refused(result: Result, *messages: str) -> None:
    """Exit 1 with a message, never an exception escaping the command."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    for message in messages:
        assert message in result.output


@pytest.mark.parametrize(("count", "shown"), [("0", None), ("-40", "'-40'"),
                                                ("forty", "'forty'"), ("40.5", "'40.5'"),
                                                ("", "an empty value")])
def test_a_bad_invited_count_is_named_by_file_row_and_column(
        tmp_path: Path, count: str, shown: str | None) -> None:
    """Zero invited with responses (a division by zero before), negative, text, a fraction
    or nothing: each points at the third line of invited.csv."""
    invited = GOOD_INVITED.replace("Linköping,medarbetare,60", f"Linköping,medarbetare,{count}")
    result, _, invited_file = run_stats(tmp_path, invited=invited)
    if shown is None:
        assert_refused(result, f"{invited_file}:3: invited: 0 invited in Linköping / "
                               "medarbetare but", "has 6 responses from it")
    else:
        assert_refused(result, f"{invited_file}:3: invited: {shown} is not a whole number "
                               "of at least 0")


def test_more_responses_than_invited_is_refused_not_a_response_rate_above_100(
        tmp_path: Path) -> None:
    invited = GOOD_INVITED.replace("Norrköping,förtroendevald,40", "Norrköping,förtroendevald,2")
    result, responses_file, invited_file = run_stats(tmp_path, invited=invited)
    assert_refused(result, f"{invited_file}:4: invited: 2 invited in Norrköping / "
                           f"förtroendevald but {responses_file} has 6 responses from it")
    assert not (tmp_path / "out.json").exists()


def test_responses_from_a_stratum_missing_in_the_invited_counts_are_refused(
        tmp_path: Path) -> None:
    """Before, the missing stratum counted as 0 invited and crashed the response rate."""
    invited = GOOD_INVITED.replace("Norrköping,medarbetare,60\n", "")
    result, responses_file, invited_file = run_stats(tmp_path, invited=invited)
    assert_refused(result, f"{responses_file}:20: municipality, group: Norrköping / "
                           f"medarbetare (6 responses) has no row in {invited_file}")


def test_a_stratum_listed_twice_is_refused_instead_of_summed(tmp_path: Path) -> None:
    invited = GOOD_INVITED + "Linköping,förtroendevald,40\n"
    result, _, invited_file = run_stats(tmp_path, invited=invited)
    assert_refused(result, f"{invited_file}:6: municipality, group: Linköping / "
                           "förtroendevald is listed again (first on row 2)")


def test_missing_columns_are_named_with_the_columns_found(tmp_path: Path) -> None:
    result, _, invited_file = run_stats(tmp_path, invited="municipality,group,n\nA,B,3\n")
    assert_refused(result, f"{invited_file}:1: the header lacks the columns ['invited'] "
                           "(found ['municipality', 'group', 'n'])")
    result, responses_file, _ = run_stats(tmp_path, responses="kommun,group,q\nA,B,1\n")
    assert_refused(result, f"{responses_file}:1: the header lacks the columns "
                           "['municipality']")


def test_a_word_in_a_column_of_answer_codes_is_named_not_read_as_missing(
        tmp_path: Path) -> None:
    threat = ["0", "1"] * 12
    threat[4] = "ja"
    result, responses_file, _ = run_stats(tmp_path, responses_text(threat))
    assert_refused(result, f"{responses_file}:6: q_threat: 'ja' is not a number")


def test_a_table_that_is_not_utf8_text_is_named(tmp_path: Path) -> None:
    responses = tmp_path / "survey.csv"
    responses.write_bytes(responses_text().encode("latin-1"))
    with pytest.raises(tidy_data.InputError,
                       match=f"^{responses}:2: not a UTF-8 text file \\(byte 0xf6 at "
                             "character 5\\)"):
        tidy_data.read_responses(responses)


def test_responses_that_are_not_of_the_questionnaire_are_refused(tmp_path: Path) -> None:
    """Before, every item came out with n = 0 and exit status 0."""
    result, responses_file, _ = run_stats(
        tmp_path, responses_text(), GOOD_INVITED,
        "--questionnaire", str(questionnaires.DEFAULT_DEFINITION))
    assert_refused(result, f"{responses_file}:1: no column is a variable of the "
                           "questionnaire 'otillaten_paverkan' (a1, a2")


def test_a_code_the_questionnaire_does_not_define_is_refused(tmp_path: Path) -> None:
    """b1 is a frequency scale 0-3 and 99: a 7 would quietly have become a missing answer."""
    lines = ["municipality,group,b1"]
    lines += [f"{m},{g},{(i % 4)}" for m in ("Linköping", "Norrköping")
              for g in ("förtroendevald", "medarbetare") for i in range(6)]
    lines[3] = lines[3].rsplit(",", 1)[0] + ",7"
    result, responses_file, _ = run_stats(
        tmp_path, "\n".join(lines) + "\n", GOOD_INVITED,
        "--questionnaire", str(questionnaires.DEFAULT_DEFINITION))
    assert_refused(result, f"{responses_file}:4: b1: 7 is not an answer to b1 "
                           "(codes 0, 1, 2, 3, 99; -1 not asked, -2 skipped)")


def test_a_stray_code_that_turns_a_yes_no_item_into_a_scale_is_reported(
        tmp_path: Path) -> None:
    """Without a questionnaire the types come from the values: a 7 in q_threat makes it
    ordinal, and the researcher is told so on standard error and in the JSON."""
    threat = ["0", "1"] * 12
    threat[4] = "7"
    result, _, _ = run_stats(tmp_path, responses_text(threat))
    assert result.exit_code == 0, result.output
    assert "ordinal (whole numbers 0-10): q_threat (codes 0, 1, 7, not consecutive), " \
           "q_worry (codes 0, 1, 2, 3)" in result.stderr
    assert "binary (all answers 0/1): -" in result.stderr
    meta = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["meta"]
    assert meta["ordinal_items"] == ["q_threat", "q_worry"] and meta["items"] == []
    assert meta["item_types"] == {"inferred": True, "not_items": {}}


def test_columns_left_out_of_the_statistics_are_listed_with_the_reason(tmp_path: Path) -> None:
    text = responses_text().splitlines()
    text = [f"{line},{'years_in_role' if i == 0 else i}" for i, line in enumerate(text)]
    result, _, _ = run_stats(tmp_path, "\n".join(text) + "\n")
    assert result.exit_code == 0, result.output
    assert "not items: years_in_role (codes 1 to 24)" in result.stderr
    meta = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["meta"]
    assert meta["item_types"]["not_items"] == {"years_in_role": "codes 1 to 24"}


def test_a_column_declared_binary_holds_only_zero_and_one() -> None:
    """A library caller who names the binary items gets a stray value refused by row."""
    frame = pd.read_csv(io.StringIO(responses_text(["0", "1"] * 11 + ["7", "0"])))
    invited = pd.read_csv(io.StringIO(GOOD_INVITED))
    with pytest.raises(tidy_data.InputError,
                       match=r"^responses:24: q_threat: 7 in a yes/no \(0/1\) item$"):
        tidy_data.from_frame(frame, invited, binary=["q_threat"], ordinal=["q_worry"])


def test_an_output_path_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    """The figures are computed, then the JSON cannot be stored: say where and why."""
    missing = tmp_path / "no such folder" / "out.json"
    result, _, _ = run_stats(tmp_path)
    assert result.exit_code == 0
    result = CliRunner().invoke(stats, ["--responses", str(tmp_path / "survey.csv"),
                                        "--invited", str(tmp_path / "invited.csv"),
                                        "--json", str(missing)])
    assert_refused(result, f"{missing}: cannot write: No such file or directory")
