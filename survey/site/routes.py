import datetime as dt

from flask import render_template

from survey.contacts import open_rounds_with_contact
from survey.site import bp

#: When the statement was drawn up and last reviewed (the law asks for the date).
STATEMENT_REVIEWED = dt.date(2026, 11, 30)


@bp.get("/tillganglighet")
def accessibility():
    """The tillgänglighetsredogörelse the Swedish accessibility law asks of public services."""
    return render_template("site/accessibility.html", reviewed=STATEMENT_REVIEWED,
                           contacts=open_rounds_with_contact())


@bp.get("/")
def home():
    """Whoever types the bare address learns where to go instead of meeting a 404."""
    return render_template("site/home.html")
