"""The invitation and reminder mails: Swedish and English in one mail, plain text and HTML.

An administrator edits plain text only, with a few placeholders in braces. The HTML part is
made from the same text (escaped, links made clickable), so an edited template can never
inject markup, and both parts always say the same thing. Placeholders are replaced by a
regular expression, not `str.format`, which would let `{link.__class__}` reach Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from html import escape

PLACEHOLDERS = ("title", "link", "optout", "closes_on", "minutes")
REQUIRED_PLACEHOLDERS = ("link", "optout")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LINK_PLACEHOLDERS = {"link", "optout"}

DEFAULTS = {
    "invitation": {
        "subject_sv": "Enkät: {title}",
        "subject_en": "Survey: {title}",
        "body_sv": (
            "Hej!\n\n"
            "Du får det här brevet eftersom du är förtroendevald eller anställd i kommunen. "
            "Kommunen vill veta om du har utsatts för otillåten påverkan, till exempel hot, "
            "trakasserier eller mutförsök, i ditt uppdrag eller arbete.\n\n"
            "Enkäten är anonym. Ingen, inte heller vi som genomför undersökningen, kan se vad "
            "du har svarat. Det tar omkring {minutes} minuter och du kan göra uppehåll och "
            "fortsätta senare med samma länk. Svara senast {closes_on}.\n\n"
            "Din personliga länk:\n{link}\n\n"
            "Jag vill inte delta (du får då inga påminnelser):\n{optout}\n\n"
            "Tack för din medverkan!"
        ),
        "body_en": (
            "Hello,\n\n"
            "You receive this mail because you are an elected official or an employee of the "
            "municipality. The municipality wants to know whether you have been subjected to "
            "improper influence, such as threats, harassment or bribery attempts, in your role "
            "or work.\n\n"
            "The survey is anonymous. Nobody, not even those of us running the study, can see "
            "what you answered. It takes about {minutes} minutes and you can pause and continue "
            "later with the same link. Please answer by {closes_on}.\n\n"
            "Your personal link:\n{link}\n\n"
            "I do not want to take part (you will get no reminders):\n{optout}\n\n"
            "Thank you for taking part!"
        ),
    },
    "reminder": {
        "subject_sv": "Påminnelse: {title}",
        "subject_en": "Reminder: {title}",
        "body_sv": (
            "Hej!\n\n"
            "För några dagar sedan fick du en inbjudan till en anonym enkät om otillåten "
            "påverkan. Påminnelsen går till dem vars svar vi ännu inte har fått. Har du "
            "skickat in dina svar nyligen kan du bortse från det här brevet.\n\n"
            "Svara senast {closes_on}. Har du börjat fortsätter du där du slutade:\n{link}\n\n"
            "Jag vill inte delta:\n{optout}"
        ),
        "body_en": (
            "Hello,\n\n"
            "A few days ago you were invited to an anonymous survey about improper influence. "
            "This reminder goes to those whose answers have not reached us yet. If you sent "
            "in your answers recently, please ignore this mail.\n\n"
            "Please answer by {closes_on}. If you have started, you continue where you left "
            "off:\n{link}\n\n"
            "I do not want to take part:\n{optout}"
        ),
    },
}


@dataclass(frozen=True)
class Identity:
    """Who sends the mail and whom to ask: the round's organisation, contact and sender.

    A mail naming nobody, from ``enkat@localhost``, looks like phishing; every mail ends with
    the organisation and the contact person in both languages, whatever the edited text says.
    """

    address: str
    organisation: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    minutes: str = ""

    @property
    def sender(self) -> str:
        return formataddr((self.organisation, self.address))

    def signature(self, lang: str) -> str:
        contact = ", ".join(
            part for part in (self.contact_name, self.contact_email, self.contact_phone) if part
        )
        if lang == "sv":
            lines = [f"Avsändare: {self.organisation}"]
            if contact:
                lines.append(f"Frågor om enkäten: {contact}")
        else:
            lines = [f"Sent by: {self.organisation}"]
            if contact:
                lines.append(f"Questions about the survey: {contact}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Texts:
    subject_sv: str
    subject_en: str
    body_sv: str
    body_en: str


def problems(texts: Texts) -> list[str]:
    """Unknown or missing placeholders, as plain English codes the form turns into messages."""
    found = set()
    unknown = set()
    for part in (texts.subject_sv, texts.subject_en, texts.body_sv, texts.body_en):
        for name in _PLACEHOLDER.findall(part):
            (found if name in PLACEHOLDERS else unknown).add(name)
    result = [f"unknown:{name}" for name in sorted(unknown)]
    for body in (texts.body_sv, texts.body_en):
        names = set(_PLACEHOLDER.findall(body))
        result += [f"missing:{name}" for name in REQUIRED_PLACEHOLDERS if name not in names]
    for subject in (texts.subject_sv, texts.subject_en):
        names = set(_PLACEHOLDER.findall(subject)) & _LINK_PLACEHOLDERS
        result += [f"link_in_subject:{name}" for name in sorted(names)]
    return sorted(set(result))


def _paragraph(text: str) -> str:
    return f"<p>{escape(text).replace(chr(10), '<br>')}</p>"


def _fill_text(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _fill_html(template: str, values: dict[str, str], link_labels: dict[str, str]) -> str:
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(escape(template[position:match.start()]))
        name = match.group(1)
        if name in _LINK_PLACEHOLDERS and name in values:
            url = escape(values[name])
            parts.append(f'<a href="{url}">{escape(link_labels[name])}</a>')
        else:
            parts.append(escape(values.get(name, match.group(0))))
        position = match.end()
    parts.append(escape(template[position:]))
    paragraphs = re.split(r"\n\s*\n", "".join(parts).strip())
    return "\n".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


def compose(
    texts: Texts, *, identity: Identity, to: str, title: str, closes_on: str, link: str,
    optout: str,
) -> EmailMessage:
    """One mail to one person: Swedish first, then English, as text and as HTML, each
    ending with who sends it and whom to ask."""
    values = {"title": title, "closes_on": closes_on, "link": link, "optout": optout,
              "minutes": identity.minutes}
    signature_sv, signature_en = identity.signature("sv"), identity.signature("en")
    labels_sv = {"link": "Öppna enkäten", "optout": "Jag vill inte delta"}
    labels_en = {"link": "Open the survey", "optout": "I do not want to take part"}
    subject_sv = _fill_text(texts.subject_sv, values)
    subject_en = _fill_text(texts.subject_en, values)
    subject = subject_sv if subject_sv == subject_en else f"{subject_sv} / {subject_en}"
    text = (
        f"{_fill_text(texts.body_sv, values).rstrip()}\n\n{signature_sv}\n\n"
        "---------- In English ----------\n\n"
        f"{_fill_text(texts.body_en, values).rstrip()}\n\n{signature_en}\n"
    )
    html = (
        '<!doctype html>\n<html lang="sv"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head><body>\n"
        f'<div lang="sv">\n{_fill_html(texts.body_sv, values, labels_sv)}\n'
        f"{_paragraph(signature_sv)}\n</div>\n<hr>\n"
        f'<div lang="en">\n{_fill_html(texts.body_en, values, labels_en)}\n'
        f"{_paragraph(signature_en)}\n</div>\n"
        "</body></html>\n"
    )
    sender = identity.address
    message = EmailMessage()
    message["From"] = identity.sender
    message["To"] = Address(addr_spec=to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = "sv, en"
    message["List-Unsubscribe"] = f"<{optout}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def identity_of(round_, default_address: str, minutes: str) -> Identity:
    """The round's sender and contact; without its own, the instance's address and the
    municipalities' names."""
    organisation = round_.organisation or ", ".join(round_.municipalities)
    return Identity(
        address=round_.sender_address or default_address,
        organisation=organisation,
        contact_name=round_.contact_name,
        contact_email=round_.contact_email,
        contact_phone=round_.contact_phone,
        minutes=minutes,
    )
