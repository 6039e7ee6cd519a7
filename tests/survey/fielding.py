"""An admin's hands: a round opened today with a recipient list imported as a file."""

from __future__ import annotations

import datetime as dt

from survey.admin import operations as admin
from survey.models import Round


def open_round_with_list(session, rows: list[str], municipalities: list[str],
                         groups: list[str]) -> Round:
    """Create and open a round for today and import ``rows`` ("address;municipality;group;
    unit") as Swedish Excel saves a list: cp1252, semicolons."""
    listing = ("\r\n".join(["E-post;Kommun;Grupp;Enhet", *rows]) + "\r\n").encode("cp1252")
    round_ = admin.create_round(
        session, title="Omgång", reference_year=2025, opens_on=dt.date.today(),
        closes_on=dt.date.today(), municipalities=municipalities, groups=groups)
    admin.open_round(session, round_)
    admin.import_recipients(session, round_,
                            admin.preview_import(session, round_, listing, "lista.csv"))
    return round_
