"""Mail before the round opens and dates wholly in the past are refused with a reason; a
command on a database that was never migrated says which command to run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from survey.admin import operations
from survey.admin.models import Delivery

TODAY = dt.date.today()


def deliveries(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Delivery))


def test_invitations_before_the_opening_day_are_refused_with_the_way_out(
    admin_client, db_session, open_round, with_recipients
):
    with_recipients(3)
    open_round.opens_on = TODAY + dt.timedelta(days=10)
    db_session.flush()
    response = admin_client.submit(f"/admin/rounds/{open_round.id}/send/invitation", {},
                                   form_page=f"/admin/rounds/{open_round.id}")
    page = admin_client.get(response.location).text
    assert f"Omgången öppnar {open_round.opens_on.isoformat()}" in page
    assert "ändra öppningsdagen" in page
    assert deliveries(db_session) == 0


def test_moving_an_open_rounds_dates_wholly_into_the_past_is_refused(
    admin_client, db_session, open_round
):
    before = (open_round.opens_on, open_round.closes_on)
    response = admin_client.submit(f"/admin/rounds/{open_round.id}/dates", {
        "opens_on": (TODAY - dt.timedelta(days=90)).isoformat(),
        "closes_on": (TODAY - dt.timedelta(days=60)).isoformat(),
    })
    assert response.status_code == 200
    assert "har passerat" in response.text
    db_session.refresh(open_round)
    assert (open_round.opens_on, open_round.closes_on) == before


def test_a_draft_may_still_be_planned_and_an_open_round_prolonged(db_session, open_round):
    operations.reschedule(db_session, open_round, open_round.opens_on,
                          TODAY + dt.timedelta(days=40))
    assert open_round.closes_on == TODAY + dt.timedelta(days=40)


def test_every_database_command_on_an_unmigrated_database_says_to_upgrade(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PAVERKAN_SECRET_KEY": "x" * 64,
           "PAVERKAN_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    paverkan = Path(sys.executable).with_name("paverkan")
    for args in (["user", "list"], ["round", "list"], ["recipients", "--help"]):
        result = subprocess.run([str(paverkan), *args], capture_output=True, text=True,
                                env=env, timeout=60)
        if args[-1] == "--help":
            assert result.returncode == 0, "help needs no database"
            continue
        assert result.returncode == 1, args
        assert "run `paverkan db upgrade`" in result.stderr, args
        assert "Traceback" not in result.stderr


def test_the_dashboard_tells_hidden_counts_from_people_without_a_unit(
    admin_client, db_session, open_round
):
    """A unit of one hidden beside five people without a unit (an earlier list, or a unit
    emptied by corrections): "hidden" and "(no unit)" are two words, no longer one dash."""
    from tests.conftest import InvitationFactory

    for unit in ["Vård"] * 6 + ["IT"] + [None] * 5:
        InvitationFactory(round=open_round, municipality="Linköping", group="medarbetare",
                          unit=unit)
    page = admin_client.get(f"/admin/rounds/{open_round.id}").text
    assert "(ingen enhet)" in page and ">dolt<" in page
    assert "<td>–</td>" not in page


def test_a_new_round_form_shows_all_its_mistakes_at_once(admin_client, db_session):
    response = admin_client.submit("/admin/rounds/new", {
        "title": "", "reference_year": "1900",
        "opens_on": (TODAY + dt.timedelta(days=9)).isoformat(), "closes_on": TODAY.isoformat(),
        "municipalities": "Linköping", "groups": "medarbetare", "min_cell_size": "5",
        "contact_email": "inte en adress"})
    assert response.status_code == 200
    summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
    for field in ("title", "reference_year", "closes_on", "contact_email"):
        assert f'href="#{field}"' in summary, field
