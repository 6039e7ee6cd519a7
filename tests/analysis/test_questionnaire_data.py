"""Reading answer codes through the instrument: refusals and empty multiple-choice questions,
and the background questions as stratifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import questionnaires
from analysis import data as tidy_data
from analysis import report
from analysis.atoms import table_from_frame
from questionnaires import tidy
from questionnaires.model import SKIPPED

INVITED = pd.DataFrame({"municipality": ["Linköping", "Linköping", "Norrköping", "Norrköping"],
                        "group": ["förtroendevald", "medarbetare"] * 2,
                        "invited": [40, 60, 40, 60]})
C7 = [f"c7_{code}" for code in (1, 2, 3, 4, 5, 6, 7, 99)]


@pytest.fixture(scope="module")
def instrument() -> questionnaires.Questionnaire:
    return questionnaires.load(questionnaires.DEFAULT_DEFINITION)


def why_not_reported(ticked: list[int], c6: int = 0) -> dict:
    """An exposed respondent (B5 once) saying why the incident was not reported (C7)."""
    return {"b5": 1, "c6": c6, **{name: int(int(name[3:]) in ticked) for name in C7}}


def test_a_refusal_or_an_empty_multiple_choice_question_is_missing_not_no(instrument) -> None:
    """Who ticked "Vill inte svara" or nothing gave no reason: they are left out of the
    C7 shares (missing), not counted as "not this reason"."""
    respondents = [why_not_reported([1]), why_not_reported([1, 4]), why_not_reported([2]),
                   why_not_reported([99]), why_not_reported([99]), why_not_reported([]),
                   why_not_reported([], c6=1)]  # reported to the police: C7 not asked
    frame = pd.DataFrame([{"municipality": m, "group": "förtroendevald", **r}
                          for r in respondents for m in ("Linköping", "Norrköping")])
    figures = report.compute(tidy_data.from_questionnaire(frame, INVITED, instrument))
    c7_1 = figures["items"]["c7_1"]
    # By hand: 3 respondents gave a reason per municipality, 2 of them reason 1;
    # 3 asked gave none (2 refused, 1 ticked nothing); 1 was not asked.
    assert (c7_1["total"]["n"], c7_1["total"]["yes"], c7_1["n_missing"]) == (6, 4, 6)
    assert c7_1["total"]["share"] == pytest.approx(2 / 3)
    assert (figures["items"]["c7_4"]["total"]["n"], figures["items"]["c7_4"]["total"]["yes"]) \
        == (6, 2)
    assert "c7_99" not in figures["items"], "the refusal is no reason of its own"


def test_the_tidy_row_keeps_the_refusal_and_drops_the_options(instrument) -> None:
    """The exported row still says who refused (c7_99 = 1); the options are skipped."""
    base = {"group": 1, "municipality": 1}
    refused = tidy.row(instrument, {**base, **why_not_reported([99])})
    assert refused["c7_99"] == 1
    assert {refused[f"c7_{code}"] for code in range(1, 8)} == {SKIPPED}
    nothing = tidy.row(instrument, {**base, **why_not_reported([])})
    assert {nothing[f"c7_{code}"] for code in range(1, 8)} == {SKIPPED}
    answered = tidy.row(instrument, {**base, **why_not_reported([3])})
    assert [answered[f"c7_{code}"] for code in range(1, 8)] == [0, 0, 1, 0, 0, 0, 0]


def test_gender_and_age_band_come_from_the_background_questions(instrument) -> None:
    """Without text columns, E1/E2 answers become the gender and age-band strata, named by
    their options; "Vill inte svara" and an unanswered question leave the stratum missing."""
    rng = np.random.default_rng(17)
    n = 240
    frame = pd.DataFrame({
        "municipality": rng.choice(["Linköping", "Norrköping"], n),
        "group": rng.choice(["förtroendevald", "medarbetare"], n),
        "b1": rng.choice([0, 1, 2, 99], n),
        "e1": rng.choice([1, 2, 3, 99, -2], n, p=[0.45, 0.4, 0.05, 0.05, 0.05]),
        "e2": rng.choice([1, 2, 3, 4, 99], n),
    })
    data = tidy_data.from_questionnaire(frame, INVITED.assign(invited=200), instrument)
    assert data.levels["gender"] == ("kvinna", "man", "annat")
    assert data.levels["age_band"] == ("29 år eller yngre", "30–49 år", "50–64 år",
                                       "65 år eller äldre")
    figures = report.compute(data)
    names = {1: "kvinna", 2: "man", 3: "annat"}
    for entry in figures["demographics"]["gender"]:
        code = {v: k for k, v in names.items()}[entry["gender"]]
        expected = ((frame["municipality"] == entry["municipality"])
                    & (frame["group"] == entry["group"]) & (frame["e1"] == code)).sum()
        assert entry["n"] == expected
    assert sum(e["n"] for e in figures["demographics"]["gender"]) == frame["e1"].isin(
        [1, 2, 3]).sum(), "refused and skipped are in no gender stratum"
    model = figures["items"]["b1_ja"]["logistic"]
    assert model["levels"]["gender"][0] == "kvinna", "the first option is the reference"
    assert model["n_used"] == (frame["b1"].isin([0, 1, 2]) & frame["e1"].isin([1, 2, 3])).sum()


def test_respondents_without_a_stratum_still_count_in_the_margins() -> None:
    """The suppression model keeps who refused their gender in every margin, so the
    municipality totals it reasons about are the published ones."""
    frame = pd.DataFrame({"municipality": ["Linköping"] * 6 + ["Norrköping"] * 6,
                          "group": ["förtroendevald"] * 12,
                          "gender": ["kvinna", "man", np.nan, "man", np.nan, "kvinna"] * 2,
                          "q": [1.0, 0.0] * 6})
    levels = {"municipality": ("Linköping", "Norrköping"), "group": ("förtroendevald",),
              "gender": ("kvinna", "man")}
    table = table_from_frame(frame, levels, {"q": [(), ("municipality",),
                                                   ("municipality", "gender")]}, "q")
    counts = {f.key: table.count(f.n_atoms) for f in table.figures}
    assert counts[(("table", "q"),)] == 12
    assert counts[(("table", "q"), ("municipality", "Linköping"))] == 6
    assert counts[(("table", "q"), ("municipality", "Linköping"), ("gender", "man"))] == 2



ELECTED_ONLY = """
id: elected_only
title: {sv: Enkät, en: Survey}
pages:
  - id: office
    title: {sv: Uppdraget, en: The office}
    questions:
      - id: paid
        type: single
        text: {sv: "Arvoderad?", en: "Paid?"}
        options:
          - {code: 0, sv: Nej, en: "No"}
          - {code: 1, sv: Ja, en: "Yes"}
  - id: chair
    title: {sv: Ordförande, en: Chair}
    show_if: group == 1
    questions:
      - id: threatened
        type: multiple
        text: {sv: "Vad har hänt?", en: "What happened?"}
        options:
          - {code: 1, sv: Hot, en: Threats}
          - {code: 2, sv: Våld, en: Violence}
"""


@pytest.mark.parametrize("elected", ["förtroendevald", "Elected official", " FÖRTROENDEVALD "])
def test_elected_officials_answers_count_however_the_round_spells_the_group(elected) -> None:
    """The app shows a page to elected officials by the group's label in either language;
    the statistics must count those answers as asked under the same spelling."""
    instrument = questionnaires.loads(ELECTED_ONLY)
    frame = pd.DataFrame([{"municipality": m, "group": elected, "paid": 1,
                           "threatened_1": 1, "threatened_2": 0}
                          for m in ("Linköping", "Norrköping") for _ in range(3)])
    invited = INVITED.assign(group=[elected, "medarbetare"] * 2)
    figures = report.compute(tidy_data.from_questionnaire(frame, invited, instrument))
    threats = figures["items"]["threatened_1"]["total"]
    assert (threats["n"], threats["yes"]) == (6, 6), "answered, not filtered out as not asked"
