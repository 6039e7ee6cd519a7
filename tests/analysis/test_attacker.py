"""An attacker with an integer-programming solver and every published figure of a round
(shares, respondent counts, the tables inside tests, the models' score equations, weighted
shares, respondents linked across items) recovers no count of a group below the minimum
cell size (tests/analysis/attacker.py says what it reads)."""

from __future__ import annotations

from functools import cache

from analysis import data as tidy_data
from analysis import report
from analysis.synthetic import SMALL_ELECTED, county_round
from tests.analysis.attacker import Attacker
from tests.analysis.conftest import REFERENCE_A


@cache
def reference_round() -> tidy_data.SurveyData:
    return tidy_data.from_frame(tidy_data.read_responses(REFERENCE_A / "survey.csv"),
                                tidy_data.read_invited(REFERENCE_A / "invited.csv"))


def attack(published: dict, data: tidy_data.SurveyData, item: str | None = None) -> list[str]:
    attacker = Attacker(published)
    truth = attacker.truth(data.responses)
    assert not attacker.violations(truth), "the attacker's equations must hold for the truth"
    targets = [t for t in attacker.targets() if item in (None, t.item)]
    assert targets
    return attacker.recovered([t for t in targets if not attacker.unanimous(t)], truth)


def test_the_one_and_three_other_gender_politicians_stay_hidden_in_reference_a() -> None:
    """Reference folder a: nothing of the 1 and 3 "annat" elected officials comes back,
    although the attacker reads every published figure, models included."""
    data = reference_round()
    assert attack(report.build(data), data) == []


def test_a_model_on_every_gender_would_have_given_them_away() -> None:
    """The attacker is not toothless: publish q_threat's model with all four genders (as
    before the publication rule) and its score equations pin the "annat" counts."""
    data = reference_round()
    published = report.build(data)
    published["items"]["q_threat"]["logistic"] = report.compute(data)["items"]["q_threat"][
        "logistic"]
    assert attack(published, data, "q_threat")


def test_a_county_round_hides_the_small_municipalities_elected_officials() -> None:
    """Thirteen municipalities, Boxholm, Kinda, Vadstena, Ydre and Åtvidaberg with two to
    four elected officials answering: nothing of them (or of any other small cell, by gender
    or age band) comes back from the published county report, beyond counts of 0 that a
    published group of at least the minimum size shows for everybody in it."""
    data = county_round(400, items=2)
    published = report.build(data)
    withheld = {e["cell"]["municipality"] for e in published["disclosure"]["items"]["q_threat"]
                if e["reason"] == "primary" and e["cell"].get("group") == "förtroendevald"}
    assert set(SMALL_ELECTED) <= withheld
    assert attack(published, data) == []
