"""Opt-out: GET only asks (mail scanners open links), POST decides."""

from flask import render_template
from flask_wtf import FlaskForm

from survey import db, tokens
from survey.admin import operations
from survey.optout import bp


class DeclineForm(FlaskForm):
    pass


@bp.route("/s/<token>/avsta", methods=["GET", "POST"])
def decline(token: str):
    invitation = tokens.find_invitation(db.session(), token)
    form = DeclineForm()
    if invitation is None:
        return render_template("optout/decline.html", state="unknown", form=form), 404
    if invitation.state == "declined":
        return render_template("optout/decline.html", state="declined", form=form)
    if not operations.can_decline(db.session(), invitation):
        return render_template("optout/decline.html", state="not_possible", form=form)
    if form.validate_on_submit():
        operations.decline(db.session(), invitation)
        return render_template("optout/decline.html", state="declined", form=form)
    return render_template("optout/decline.html", state="ask", form=form)
