"""The dashboard's unit table against an admin who subtracts: no count of fewer than the
round's minimum can be worked out, and two people without a unit no longer hide a large unit."""

from __future__ import annotations

import pytest

from survey.admin import operations
from tests.conftest import InvitationFactory

COUNTS = ("responded", "declined", "bounced", "mails_sent", "mails_failed")


def invite(round_, layout: dict[str | None, tuple[int, int]]) -> None:
    """`layout` maps a unit (None: no unit) to (invited, of whom responded)."""
    for unit, (size, responded) in layout.items():
        for i in range(size):
            InvitationFactory(round=round_, municipality="Linköping", group="medarbetare",
                              unit=unit, state="responded" if i < responded else "invited")


def what_subtraction_gives(db_session, round_) -> tuple[list, dict[str, int]]:
    """The hidden unit rows, and what the stratum's row minus the shown unit rows gives."""
    [stratum] = operations.response_rates(db_session, round_)
    units = operations.response_rates(db_session, round_, by_unit=True)
    assert sum(u.invited for u in units) == stratum.invited, "every invited person is in a row"
    hidden = [u for u in units if u.responded is None]
    shown = [u for u in units if u.responded is not None]
    return hidden, {name: getattr(stratum, name) - sum(getattr(u, name) for u in shown)
                    for name in COUNTS}


@pytest.mark.parametrize("layout", [
    {"Vård": (30, 11), None: (2, 2)},
    {"Vård": (30, 11), "IT": (1, 1), None: (2, 2)},
    {"Vård": (30, 11), "IT": (1, 1), "Ekonomi": (1, 0)},
    {"Vård": (30, 11), "Miljö": (6, 1), "IT": (1, 1)},
    {"Vård": (30, 11), None: (6, 6)},
])
def test_an_admin_who_subtracts_learns_no_count_of_fewer_than_the_minimum(
    db_session, open_round, layout
):
    invite(open_round, layout)
    hidden, remainder = what_subtraction_gives(db_session, open_round)
    minimum = open_round.min_cell_size
    if hidden:
        assert len(hidden) >= 2 and sum(u.invited for u in hidden) >= minimum
    else:
        assert remainder == dict.fromkeys(COUNTS, 0), "nothing is left outside the rows"
    rows = operations.response_rates(db_session, open_round, by_unit=True)
    for row in rows:
        if row.responded is not None:
            assert row.invited >= minimum, f"{row.unit} has {row.invited} invited"


def test_two_people_without_a_unit_no_longer_hide_a_large_unit(
    admin_client, db_session, open_round
):
    invite(open_round, {"Vård": (30, 11), None: (2, 2)})
    [vard] = operations.response_rates(db_session, open_round, by_unit=True)
    assert (vard.unit, vard.invited, vard.responded, vard.without_unit) == ("Vård", 32, 13, 2)
    page = admin_client.get(f"/admin/rounds/{open_round.id}").text
    assert "Vård (och 2 utan enhet)" in page
    assert ">dolt<" not in page and "(ingen enhet)" not in page.split("Per enhet")[1]


def test_enough_people_without_a_unit_keep_a_row_of_their_own(db_session, open_round):
    invite(open_round, {"Vård": (30, 11), None: (6, 6)})
    rows = {r.unit: r for r in operations.response_rates(db_session, open_round, by_unit=True)}
    assert (rows[None].responded, rows["Vård"].responded, rows["Vård"].without_unit) == (6, 11, 0)


def test_a_list_with_two_people_without_a_unit_imports_and_a_unit_of_two_does_not(
    app, db_session, open_round
):
    """The import used to refuse the two unit-less people, telling the admin to "leave the
    unit empty"; a named unit of two still splits its stratum and is refused."""
    rows = ["E-post;Kommun;Grupp;Enhet"] + [
        f"v{i}@example.se;Linköping;medarbetare;Vård" for i in range(30)] + [
        "a@example.se;Linköping;medarbetare;", "b@example.se;Linköping;medarbetare;"]
    with app.app_context():
        report = operations.preview_import(db_session, open_round, "\n".join(rows).encode(),
                                           "lista.csv")
        assert report.ok, report.problems
        two = "\n".join(rows[:-2] + ["a@example.se;Linköping;medarbetare;IT",
                                     "b@example.se;Linköping;medarbetare;IT"]).encode()
        refused = operations.preview_import(db_session, open_round, two, "lista.csv")
    assert [(p.code, p.value) for p in refused.problems] == [("small_unit", "IT (2)")]
