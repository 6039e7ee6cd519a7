"""A chief logs in, lands on the results and reads figures that are the statistics' own."""

from __future__ import annotations

import pytest

from tests.admin.conftest import PASSWORD_OF
from tests.results.conftest import statistics_of
from tests.results.tables import percents, tables


@pytest.mark.parametrize("role", ["chief", "researcher"])
def test_a_chief_or_researcher_lands_on_the_results_never_on_a_403(client, login, role,
                                                                      closed_round):
    login(client, role)
    page = client.get("/login")  # already logged in: the form again, with the header
    response = client.submit("/login", {"email": f"{role}@kommun.example.se",
                                        "password": PASSWORD_OF})
    assert response.status_code == 302
    assert response.location == "/resultat/"
    landed = client.get(response.location)
    assert landed.status_code == 200
    assert "Log out" in landed.text or "Logga ut" in landed.text
    assert 'href="/admin/"' not in landed.text  # no link that would answer 403
    del page


def test_a_chief_sent_to_an_admin_page_after_login_lands_on_the_results(client, login,
                                                                         db_session):
    from survey.auth import operations

    operations.add_user(db_session, "chef@kommun.example.se", "chief", PASSWORD_OF)
    response = client.submit("/login?next=/admin/", {"email": "chef@kommun.example.se",
                                                     "password": PASSWORD_OF})
    assert response.location == "/resultat/"


def test_an_admin_lands_on_the_rounds_and_sees_results_in_the_header(client, login):
    response = login(client, "admin")
    page = response.get("/admin/")
    assert 'href="/resultat/"' in page.text


def test_the_overview_shows_the_statistics_own_figures(client, login, closed_round,
                                                      db_session):
    login(client, "chief")
    page = client.get(f"/resultat/?round={closed_round.id}&lang=en").text
    figures = statistics_of(db_session, closed_round)
    shown = tables(page)
    for item in ("exposed_any", "exposed_threat", "d2_ja"):
        rows = shown[f"figures {item}"][1:]
        for row, cell in zip(rows, figures["items"][item]["cells"], strict=True):
            assert row[:2] == [cell["municipality"], cell["group"]]
            assert int(row[2]) == cell["n"]
            assert percents(row[3] + row[4]) == [
                round(100 * cell[k], 1) for k in ("share", "wilson_lower", "wilson_upper")]


def test_every_results_page_answers_in_swedish_and_english(client, login, closed_round):
    login(client, "chief")
    for page in ("/resultat/", "/resultat/fraga", "/resultat/fraga?by=gender",
                 "/resultat/fraga?section=exposure_threats", "/resultat/jamforelse",
                 "/resultat/jamforelse?item=b5_ja", "/resultat/over-tid",
                 "/resultat/nationell"):
        for lang in ("sv", "en"):
            joiner = "&" if "?" in page else "?"
            response = client.get(f"{page}{joiner}round={closed_round.id}&lang={lang}")
            assert response.status_code == 200, (page, lang)
            assert "–" in response.text or "%" in response.text


def test_the_comparison_states_the_statistics_own_difference(client, login, closed_round,
                                                            db_session):
    login(client, "chief")
    page = client.get(f"/resultat/jamforelse?round={closed_round.id}&lang=en").text
    figures = statistics_of(db_session, closed_round)
    difference = figures["items"]["exposed_any"]["comparisons"][0]["difference"]
    rows = tables(page)["figures comparison exposed_any"]
    assert percents(rows[0][1])[:3] == [
        round(100 * difference[k], 1) for k in ("difference", "newcombe_lower",
                                                 "newcombe_upper")] or percents(rows[0][1])[
        :1] == [round(100 * abs(difference["difference"]), 1)]
    assert "percentage points" in page


def test_unknown_filters_are_a_plain_not_found(client, login, closed_round):
    login(client, "chief")
    for query in ("round=999999", "round=x", f"round={closed_round.id}&municipality=Ydre",
                  f"round={closed_round.id}&item=nope"):
        assert client.get(f"/resultat/jamforelse?{query}").status_code == 404
