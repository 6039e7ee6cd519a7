"""A chief reads "Över tid": each closed year's figures as its published report has them,
small cells hidden, and a round that published nothing left out."""

from __future__ import annotations

import pytest

from tests.conftest import RoundFactory
from tests.results.conftest import add_responses, statistics_of
from tests.results.tables import percents, tables

#: Small enough to be quick, large enough that every municipality's total is published;
#: Norrköping's elected members are too few in 2024 and must stay hidden.
STRATA_2023 = {
    ("Linköping", "förtroendevald"): (60, 30), ("Linköping", "medarbetare"): (120, 60),
    ("Norrköping", "förtroendevald"): (50, 25), ("Norrköping", "medarbetare"): (110, 55),
}
STRATA_2024 = {
    ("Linköping", "förtroendevald"): (60, 35), ("Linköping", "medarbetare"): (120, 70),
    ("Norrköping", "förtroendevald"): (40, 3), ("Norrköping", "medarbetare"): (110, 60),
}


@pytest.fixture
def three_years(db_session):
    """2022 closed without a response, 2023 and 2024 closed with published figures."""
    silent = RoundFactory(state="closed", link_salt=None, reference_year=2022,
                          title="Otillåten påverkan 2022")
    earlier = RoundFactory(state="closed", link_salt=None, reference_year=2023,
                           title="Otillåten påverkan 2023")
    add_responses(db_session, earlier, STRATA_2023, seed=23)
    latest = RoundFactory(state="closed", link_salt=None, reference_year=2024,
                          title="Otillåten påverkan 2024")
    add_responses(db_session, latest, STRATA_2024, seed=24)
    return silent, earlier, latest


def _trend(client, latest, item: str, **filters: str) -> list[list[str]]:
    query = "".join(f"&{name}={value}" for name, value in filters.items())
    response = client.get(f"/resultat/over-tid?round={latest.id}&lang=en{query}")
    assert response.status_code == 200
    return tables(response.text)[f"figures trend {item}"][1:]


def _shown(row: list[str]) -> list[float] | None:
    """Answered, share, lower and upper of a row as the page writes them; None for dashes."""
    if row[3:] == ["–", "–", "–"]:
        return None
    return [int(row[3]), *percents(row[4] + " " + row[5])]


def _published(entry: dict) -> list[float] | None:
    """The same from the published report; None for a withheld figure."""
    if entry["withheld"]:
        return None
    return [entry["n"], *(round(100 * entry[k], 1)
                          for k in ("share", "wilson_lower", "wilson_upper"))]


def test_each_year_shows_its_own_published_figures_and_a_year_without_any_is_left_out(
        client, login, db_session, three_years):
    silent, earlier, latest = three_years
    published = {round_.title: statistics_of(db_session, round_)
                 for round_ in (earlier, latest)}
    login(client, "chief")
    for item in ("exposed_any", "exposed_threat", "d2_ja"):
        rows = _trend(client, latest, item)
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (round_.title, str(round_.reference_year), municipality)
            for round_ in (earlier, latest) for municipality in ("Linköping", "Norrköping")]
        for row in rows:
            entry = next(e for e in published[row[0]]["items"][item]["by_municipality"]
                         if e["municipality"] == row[2])
            assert _shown(row) == _published(entry), (item, row)
        assert silent.title not in {r[0] for r in rows}
        assert "2022" not in {r[1] for r in rows}
    shown = [_shown(row) for row in _trend(client, latest, "exposed_any")]
    assert shown[0] and shown[1] and shown[3], "most figures are published"
    assert shown[2] is None, "2024's Linköping total is hidden: it would give away the small group"


def test_a_small_group_is_hidden_in_its_year_and_shown_in_the_other(client, login, db_session,
                                                                    three_years):
    _silent, earlier, latest = three_years
    login(client, "chief")
    rows = _trend(client, latest, "exposed_any", group="förtroendevald")
    by_year = {(r[1], r[2]): r for r in rows}
    assert by_year[("2024", "Norrköping")][3:] == ["–", "–", "–"]
    before = statistics_of(db_session, earlier)["items"]["exposed_any"]["cells"]
    cell = next(c for c in before
                if (c["municipality"], c["group"]) == ("Norrköping", "förtroendevald"))
    assert _shown(by_year[("2023", "Norrköping")]) == _published(cell)
    small = next(c for c in statistics_of(db_session, latest)["items"]["exposed_any"]["cells"]
                 if (c["municipality"], c["group"]) == ("Norrköping", "förtroendevald"))
    assert small["withheld"] and small["n"] is None


def test_an_earlier_year_alone_has_no_later_round_beside_it(client, login, three_years):
    _silent, earlier, latest = three_years
    login(client, "chief")
    rows = _trend(client, earlier, "exposed_any")
    assert {r[0] for r in rows} == {earlier.title}
    page = client.get(f"/resultat/over-tid?round={earlier.id}&lang=en").text
    assert "There is no earlier round with the same questionnaire yet" in page
