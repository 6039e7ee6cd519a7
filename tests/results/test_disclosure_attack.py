"""A chief who gathers every figure the results pages and the workbook show, across every
filter, and solves for the counts of a stratum of three and a gender of one, cannot pin
any of them down: each keeps at least two whole-number values that fit everything seen.

The attacker is independent of analysis/disclosure.py: it reads what was published (HTML
tables and the downloaded workbook) and runs its own integer programmes (scipy's milp).
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict

import numpy as np
import openpyxl
import pytest
from flask_babel import force_locale
from scipy.optimize import Bounds, LinearConstraint, milp

from questionnaires import tidy
from survey.instrument import questionnaire_of
from survey.results.labels import HEADLINE
from tests.conftest import RoundFactory
from tests.results.conftest import add_responses, statistics_of
from tests.results.tables import percents, tables

MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")
GENDERS = ("kvinna", "man", "annat", None)  # None: refused or missing
AGES = ("29 år eller yngre", "30–49 år", "50–64 år", "65 år eller äldre", None)
STATES = ("yes", "no", "none")
SMALL_STRATUM = ("Norrköping", "förtroendevald")
LONE_GENDER = ("Linköping", "medarbetare", "annat")  # the only one

STRATA = {("Linköping", "förtroendevald"): (90, 40), ("Linköping", "medarbetare"): (300, 120),
          ("Norrköping", "förtroendevald"): (60, 3), ("Norrköping", "medarbetare"): (280, 110)}


def _tempting_answers(rng, municipality, group, number):
    """Everyone answers; one person in Linköping's staff is the only "annat"."""
    from survey import synthetic

    answers = synthetic.answers(_tempting_answers.questionnaire, rng, {"group": 1 if group ==
                                "förtroendevald" else 2}, 1.5)
    answers["e1"] = 3 if (municipality, group, number) == (*LONE_GENDER[:2], 0) else (
        1 + number % 2)
    return answers


@pytest.fixture
def tempting_round(db_session):
    round_ = RoundFactory(state="closed", link_salt=None, title="Frestande omgång")
    _tempting_answers.questionnaire = questionnaire_of(round_)
    add_responses(db_session, round_, STRATA, seed=3, answer=_tempting_answers)
    return round_


class Observations:
    """Everything seen, as linear facts about one item's atoms (stratum x gender x state)."""

    def __init__(self) -> None:
        self.atoms = list(itertools.product(MUNICIPALITIES, GROUPS, GENDERS, AGES, STATES))
        self.index = {a: i for i, a in enumerate(self.atoms)}
        # item -> list of (coefficients, low, high)
        self.facts: dict[str, list[tuple[np.ndarray, float, float]]] = defaultdict(list)
        self.respondents: list[tuple[np.ndarray, float, float]] = []

    def _mask(self, municipality=None, group=None, gender=None, states=STATES,
              age=None) -> np.ndarray:
        mask = np.zeros(len(self.atoms))
        for i, (m, g, sex, band, state) in enumerate(self.atoms):
            if ((municipality in (None, m)) and (group in (None, g))
                    and (gender is None or sex == gender) and (age is None or band == age)
                    and state in states):
                mask[i] = 1
        return mask

    def share(self, item, n, share, precision, municipality=None, group=None, gender=None,
              age=None):
        answered = self._mask(municipality, group, gender, ("yes", "no"), age)
        yes = self._mask(municipality, group, gender, ("yes",), age)
        self.facts[item].append((answered, n, n))
        self.facts[item].append((yes, n * (share - precision), n * (share + precision)))

    def responded(self, count, municipality=None, group=None):
        self.respondents.append((self._mask(municipality, group), count, count))

    def solve_range(self, item, objective) -> tuple[float, float]:
        rows = self.facts[item] + self.respondents
        constraint = LinearConstraint(np.array([r[0] for r in rows]),
                                      np.array([r[1] for r in rows]) - 1e-9,
                                      np.array([r[2] for r in rows]) + 1e-9)
        integral = np.ones(len(self.atoms))
        found = []
        for sign in (1, -1):
            result = milp(sign * objective, constraints=[constraint], integrality=integral,
                          bounds=Bounds(0, np.inf))
            if result.status != 0 and sign == -1:
                # No published figure caps the count from above (the respondent counts are
                # withheld): unbounded, provided the figures have a solution at all.
                feasible = milp(np.zeros(len(self.atoms)), constraints=[constraint],
                                integrality=integral, bounds=Bounds(0, np.inf))
                assert feasible.status == 0, f"{item}: the published figures are inconsistent"
                found.append(np.inf)
                continue
            assert result.status == 0, f"{item}: the published figures are inconsistent"
            found.append(sign * result.fun)
        return found[0], found[1]


def _read_pages(client, round_, seen: Observations, labels_to_items) -> None:
    filters = [{}] + [{"municipality": m} for m in MUNICIPALITIES] + [
        {"group": g} for g in GROUPS] + [{"municipality": m, "group": g}
                                         for m in MUNICIPALITIES for g in GROUPS]
    for chosen in filters:
        query = "&".join(f"{k}={v}" for k, v in chosen.items())
        page = client.get(f"/resultat/?round={round_.id}&lang=en&{query}")
        assert page.status_code == 200
        for name, rows in tables(page.text).items():
            if not name.startswith("figures ") or name.startswith("figures weighted"):
                continue  # weighted shares are not counts; the withheld ones stay hidden
            item = name.removeprefix("figures ")
            for row in rows[1:]:
                if row[2] != "–":
                    seen.share(item, int(row[2]), percents(row[3])[0] / 100, 0.0005,
                               municipality=row[0], group=row[1])
        rates = next((rows for name, rows in tables(page.text).items() if name == ""), [])
        for row in rates[1:]:
            if row[3] != "–":
                municipality = None if row[0] == "Total" else row[0]
                group = None if row[1] == "all" else row[1]
                seen.responded(int(row[3]), municipality, group)


def _read_per_question(client, round_, seen: Observations) -> None:
    """Every section of Per fråga, by municipality x group, by gender and by age band."""
    from survey.instrument import questionnaire_of as instrument

    sections = [page.id for page in instrument(round_).pages]
    for section, by in itertools.product(sections, ("", "gender", "age_band")):
        page = client.get(f"/resultat/fraga?round={round_.id}&lang=en&section={section}"
                          f"&by={by}")
        if page.status_code == 404:
            continue  # a section without reported items
        assert page.status_code == 200
        for name, rows in tables(page.text).items():
            if not name.startswith("figures ") or "distribution" in name:
                continue
            item = name.removeprefix("figures ")
            for row in rows[1:]:
                cells = row[:3] if by else row[:2]
                figures = row[3:] if by else row[2:]
                if figures[0] == "–":
                    continue
                where = {"municipality": cells[0], "group": cells[1]}
                if by:
                    where["gender" if by == "gender" else "age"] = cells[2]
                share = percents(figures[1])[0] / 100 if figures[1] != "–" else 0.0  # n = 0
                seen.share(item, int(figures[0]), share, 0.0005, **where)


def _read_workbook(client, round_, seen: Observations, labels_to_items) -> None:
    download = client.get(f"/resultat/rapport.xlsx?round={round_.id}&lang=sv")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    for row in list(book["Svarsfrekvens"].iter_rows(values_only=True))[1:]:
        if row[0] and row[3] not in (None, "–") and isinstance(row[3], int | float):
            seen.responded(row[3], None if row[0] == "alla" else row[0],
                           None if row[1] == "alla" else row[1])
    for sheet in book:
        if sheet.title in ("Svarsfrekvens", "Metod", "Jämförelser", "Över tid"):
            continue
        for row in sheet.iter_rows(values_only=True):
            item = labels_to_items.get(row[0])
            if item is None or not isinstance(row[3], int | float):
                continue
            seen.share(item, row[3], row[4], 1e-9,
                       municipality=None if row[1] == "alla" else row[1],
                       group=None if row[2] == "alla" else row[2])
    for row in list(book["Jämförelser"].iter_rows(values_only=True))[1:]:
        item = labels_to_items.get(row[0])
        if item is None or not isinstance(row[3], float):
            continue
        for municipality, share in ((row[1], row[3]), (row[2], row[4])):
            # the comparison shows shares only; their n are on the other sheets
            seen.facts[item].append((seen._mask(municipality, None, None, ("yes",)) -
                                     share * seen._mask(municipality, None, None, ("yes", "no")),
                                     -1e-9, 1e-9))


def test_no_small_group_can_be_solved_for_from_everything_a_chief_sees(
        app, client, login, tempting_round, db_session):
    statistics_of(db_session, tempting_round)  # the plan must find a way
    login(client, "chief")
    questionnaire = questionnaire_of(tempting_round)
    labels_to_items = {i.label.sv.replace("{year}", str(tempting_round.reference_year)): i.name
                       for i in tidy.indicators(questionnaire)}
    with app.test_request_context(), force_locale("sv"):
        labels_to_items.update({str(label): item for item, label in HEADLINE.items()})
    seen = Observations()
    _read_pages(client, tempting_round, seen, labels_to_items)
    _read_workbook(client, tempting_round, seen, labels_to_items)
    before = sum(len(facts) for facts in seen.facts.values())
    _read_per_question(client, tempting_round, seen)
    assert sum(len(facts) for facts in seen.facts.values()) > before + 200, "by gender, age"
    assert len(seen.facts) >= 20, "the attacker must have read the items"
    # The response counts are read too when published; on this round the complements the
    # filtered differences need withhold every stratum's, so the items must do the work.
    small = seen._mask(*SMALL_STRATUM)
    lone = seen._mask(*LONE_GENDER)
    checked = 0
    for item in seen.facts:
        for target, around in (
                (seen._mask(*SMALL_STRATUM, states=("yes",)), SMALL_STRATUM[:1]),
                (seen._mask(*SMALL_STRATUM, states=("yes", "no")), None),
                (seen._mask(*LONE_GENDER, states=("yes",)), LONE_GENDER[:2])):
            low, high = seen.solve_range(item, target)
            if high - low < 1 - 1e-6 and around is not None:
                # Allowed by docs/disclosure.md: a published group around them in which
                # nobody gave that answer says the same of everyone in it (rule 4), and a
                # zero cell is published (rule 1): nobody of them was asked the item.
                _, everyone = seen.solve_range(item, seen._mask(*around, states=("yes",)))
                _, asked = seen.solve_range(item, target + seen._mask(
                    *(SMALL_STRATUM if around == SMALL_STRATUM[:1] else LONE_GENDER),
                    states=("no",)))
                assert high == 0 and 0 in (everyone, asked), (
                    f"{item}: a withheld count is pinned to {low}")
                continue
            assert high - low >= 1 - 1e-6, f"{item}: a withheld count is pinned to {low}"
            checked += 1
    low, high = seen.solve_range(next(iter(seen.facts)), small)
    assert high - low >= 1 - 1e-6, "the small stratum's size is pinned"
    low, high = seen.solve_range(next(iter(seen.facts)), lone)
    assert high - low >= 1 - 1e-6
    assert checked >= 40
