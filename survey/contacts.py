"""The contact people of the rounds now open, for the pages that know no round.

The page for a link that does not work and the accessibility statement cannot tell which
round a visitor belongs to; they list the contacts of every open round instead of sending
people to "the person named in the mail" (who may be the very thing that went missing).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from survey import db
from survey.models import Round


def open_rounds_with_contact() -> list[Round]:
    today = dt.date.today()
    query = (
        select(Round)
        .where(Round.state == "open", Round.opens_on <= today, Round.closes_on >= today)
        .where(or_(Round.contact_email.is_not(None), Round.contact_phone.is_not(None)))
        .order_by(Round.title)
    )
    return list(db.session().scalars(query))
