"""What the results show an indicator as, in the reader's language: the pages and the report
workbook name every figure alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from questionnaires import tidy
from survey.i18n import current_language
from survey.instrument import questionnaire_of
from survey.models import Round

#: The headline indicators of the overview, in the order a chief reads them.
HEADLINE = {
    "exposed_any": _l("Exposed to any form of harassment, threats, violence or damage"),
    "exposed_threat": _l("Exposed to threats"),
    "exposed_violence": _l("Exposed to violence"),
    "exposed_bribe": _l("Offered a bribe or another improper offer"),
    "d1_ja": _l("Refrained from, postponed or changed a decision"),
    "d2_ja": _l("Kept from speaking out or engaging in an issue (self-censorship)"),
}


def indicator_labels(round_: Round) -> dict[str, str]:
    """Every binary indicator's label in the page's language, headline ones shortened."""
    lang = current_language()
    labels = {i.name: i.label.render(lang, round_.reference_year)
              for i in tidy.indicators(questionnaire_of(round_))}
    labels.update({name: str(label) for name, label in HEADLINE.items()})
    return labels
