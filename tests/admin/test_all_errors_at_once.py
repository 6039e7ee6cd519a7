"""An admin who fills in a form wrongly in several places sees every problem after one submit,
each next to its field, not one per submit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from survey.models import Round


def day(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def test_a_new_round_with_four_mistakes_shows_all_four_after_one_submit(admin_client,
                                                                         db_session):
    response = admin_client.submit("/admin/rounds/new", {
        "title": "Omgång\u0007 2027", "reference_year": "1800",
        "opens_on": day(30), "closes_on": day(10),
        "municipalities": "Linköping\n" + "L" * 101, "groups": "Politiker",
        "min_cell_size": "5"})
    assert response.status_code == 200
    page = response.text
    assert "Slutdatumet ligger före startdatumet" in page
    assert "är längre än 100 tecken" in page
    assert "Politiker är inte en av dess grupper" in page
    assert "2000" in page  # the reference year's range
    assert page.count('class="error-message"') >= 4
    assert db_session.scalar(select(func.count()).select_from(Round)) == 0


def test_an_open_rounds_dates_show_the_unreadable_and_the_past_date_together(
    admin_client, db_session, open_round
):
    response = admin_client.submit(f"/admin/rounds/{open_round.id}/dates", {
        "opens_on": "imorgon", "closes_on": day(-3)})
    assert response.status_code == 200
    assert 'id="opens_on-error"' in response.text
    assert "har passerat" in response.text


def test_the_command_line_names_every_problem_of_a_new_round_at_once(app, db_session):
    from survey.admin import operations
    from survey.commands.round import english

    with app.app_context():
        try:
            operations.create_round(db_session, title="T", reference_year=2025,
                                    opens_on=dt.date(2027, 5, 1),
                                    closes_on=dt.date(2027, 4, 1),
                                    municipalities=["L" * 101], groups=["Politiker"])
        except operations.OperationError as problem:
            message = english(problem.message)
    assert "before the opening date" in message
    assert "longer than 100" in message and "Politiker is not one of its groups" in message
