"""The demo's closed round of the previous year: about 2,000 synthetic responses in both
municipalities, put through the operations a real round uses (create, open, import the
recipient list, each respondent saves a draft and submits through their link, close), so
the results pages show what a finished round looks like.

Norrköping's elected officials answer only three times: a stratum the results must
withhold, with its complements.
"""

from __future__ import annotations

import datetime as dt
import random
import threading

from sqlalchemy import select

from survey import synthetic, tokens
from survey.admin import operations as admin
from survey.instrument import context, questionnaire_of
from survey.models import Invitation, Round
from survey.respondent import operations as respondent

#: (municipality, group) -> (invited, responding, how exposed relative to the national level)
STRATA = {
    ("Linköping", "förtroendevald"): (110, 70, 1.1),
    ("Linköping", "medarbetare"): (1500, 900, 1.0),
    ("Norrköping", "förtroendevald"): (40, 3, 1.1),
    ("Norrköping", "medarbetare"): (1650, 1030, 1.25),
}
TOTAL = sum(responding for _, responding, _ in STRATA.values())
UNITS = ("Socialförvaltningen", "Utbildningsförvaltningen", "Tekniska förvaltningen")


def recipients_csv(strata=STRATA) -> bytes:
    lines = ["E-post;Kommun;Grupp;Förvaltning"]
    for (municipality, group), (invited, _, _) in strata.items():
        for number in range(invited):
            unit = "" if group == "förtroendevald" else UNITS[number % len(UNITS)]
            address = f"{municipality[:3].lower()}.{group[:3]}.{number + 1}@tidigare.example"
            lines.append(f"{address};{municipality};{group};{unit}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def seed_closed_round(session, today: dt.date, strata=STRATA, seed: int = 2025) -> Round:
    """Create, fill and close the previous year's round; returns it."""
    opens_on = today.replace(year=today.year - 1) - dt.timedelta(days=30)
    round_ = admin.create_round(
        session,
        title=f"Otillåten påverkan {opens_on.year} (demo, stängd)",
        reference_year=opens_on.year - 1,
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=28),
        municipalities=["Linköping", "Norrköping"],
        groups=["förtroendevald", "medarbetare"],
    )
    admin.open_round(session, round_)
    report = admin.preview_import(session, round_, recipients_csv(strata),
                                  "mottagare-tidigare.csv")
    admin.import_recipients(session, round_, report)
    questionnaire = questionnaire_of(round_)
    rng = random.Random(seed)
    answering_day = opens_on + dt.timedelta(days=3)
    for (municipality, group), (_, responding, scale) in strata.items():
        invitations = list(session.scalars(
            select(Invitation).where(Invitation.round_id == round_.id,
                                     Invitation.municipality == municipality,
                                     Invitation.group == group).order_by(Invitation.email)))
        for invitation in rng.sample(invitations, responding):
            token = tokens.token_for(invitation)
            answers = synthetic.answers(questionnaire, rng, context(group), scale)
            respondent.save_draft(session, token, round_, answers, None)
            respondent.submit(session, token, today=answering_day)
    admin.close_round(session, round_)
    return round_


def fill_in_background(app) -> threading.Thread:
    """Seed the previous year's round in a thread and compute its results once, so the demo
    serves at once (about 50 ms per response: a few minutes for 2,000) and the first
    results page after that is read from the cache."""
    from survey import db
    from survey.results.figures import figures_of

    def run() -> None:
        with app.app_context():
            session = db.session()
            try:
                round_ = seed_closed_round(session, dt.date.today())
                figures_of(session, round_)
            finally:
                session.close()
        print(f"The previous year's closed round is ready: {app.config['BASE_URL']}/resultat/",
              flush=True)

    thread = threading.Thread(target=run, name="demo-history", daemon=True)
    thread.start()
    return thread
