"""A chief logs in, lands on the results and reads figures that are the statistics' own."""

from __future__ import annotations

import pytest

from analysis import report
from survey import round_data
from tests.admin.conftest import PASSWORD_OF
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
    figures = report.build(round_data.read(db_session, closed_round).survey_data(),
                           min_cell=closed_round.min_cell_size)
    shown = tables(page)
    for item in ("exposed_any", "exposed_threat", "d2_ja"):
        rows = shown[f"figures {item}"][1:]
        for row, cell in zip(rows, figures["items"][item]["cells"], strict=True):
            assert row[:2] == [cell["municipality"], cell["group"]]
            assert int(row[2]) == cell["n"]
            assert percents(row[3] + row[4]) == [
                round(100 * cell[k], 1) for k in ("share", "wilson_lower", "wilson_upper")]
