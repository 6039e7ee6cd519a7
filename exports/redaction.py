"""Masking what could name a person in free text before it leaves the system.

Respondents write about what happened to them, and some name the person who threatened
them, their own address or a colleague. The researcher gets free text only through this
step: e-mail addresses, personnummer and samordningsnummer, phone numbers, postal addresses
and names are replaced by a bracketed word ("[namn]"), and the counts per kind and a sample
are shown before the file is offered. Patterns are Swedish (numbers, street suffixes);
names come from ``data/namn.txt`` (common Swedish first and last names) and any the
researcher adds. The order matters: e-mail addresses first (they contain names and digits),
then identity numbers (ten digits that would otherwise pass for a phone number), then phone
numbers, addresses and names.

Hand-written patterns rather than a named-entity model: no model for Swedish ships in a
package without downloading weights at run time, and a list the researcher can read and
extend is easier to trust. It masks too much rather than too little ("Björk" the tree
at the start of a sentence); a researcher still reads the sample.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from questionnaires.model import Text

NAMES_FILE = Path(__file__).parent / "data" / "namn.txt"

#: The kinds in the order they are looked for, with the word that replaces them.
MASKS = {
    "email": Text("[e-post]", "[e-mail]"),
    "personnummer": Text("[personnummer]", "[personal identity number]"),
    "samordningsnummer": Text("[samordningsnummer]", "[coordination number]"),
    "phone": Text("[telefon]", "[phone]"),
    "address": Text("[adress]", "[address]"),
    "name": Text("[namn]", "[name]"),
}
KIND_LABELS = {
    "email": Text("E-postadresser", "E-mail addresses"),
    "personnummer": Text("Personnummer", "Personal identity numbers"),
    "samordningsnummer": Text("Samordningsnummer", "Coordination numbers"),
    "phone": Text("Telefonnummer", "Phone numbers"),
    "address": Text("Postadresser", "Postal addresses"),
    "name": Text("Namn", "Names"),
}
#: How many masked texts the researcher sees before the file is offered.
SAMPLE_SIZE = 5
SAMPLE_LENGTH = 300

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 6+4 or 8+4 digits, with "-", "+" or a space before the last four.
_IDENTITY = re.compile(r"(?<![\d-])(?:19|20)?(\d{2})(\d{2})(\d{2})[-+ ]?(\d{4})(?![\d-])")
# +46 / 0046 / 0 and 6 to 10 more digits, separated by spaces, hyphens, dots or slashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)(?:\s?\(0\))?(?:[\s./-]?\d){6,10}(?!\d)")
_STREET_SUFFIXES = ("gatan", "gata", "vägen", "väg", "gränd", "gränden", "stigen", "torget",
                    "torg", "allén", "backen", "leden", "plan", "platsen", "stråket", "kajen")
_STREET = (r"\b[A-ZÅÄÖa-zåäöé][\wåäöé]*(?:" + "|".join(_STREET_SUFFIXES)
           + r")\s+\d{1,4}(?:\s?[A-Za-z])?\b")
_POSTCODE = r"\b\d{3}\s?\d{2}\s+[A-ZÅÄÖ][a-zåäö]+"
_ADDRESS = re.compile(rf"(?:{_STREET}(?:,?\s*{_POSTCODE})?|{_POSTCODE}|\b[Bb]ox\s+\d+)")
_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+(?:-[A-Za-zÅÄÖåäöÉéÜü]+)*")


@cache
def default_names() -> frozenset[str]:
    """The shipped list, case-folded."""
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines
                     if line.strip() and not line.startswith("#"))


def parse_names(text: str) -> list[str]:
    """Names a researcher typed or uploaded: one per line or separated by commas."""
    return [word for part in re.split(r"[,\n;]", text) for word in _WORD.findall(part)]


@dataclass(frozen=True)
class Redaction:
    """What the redaction did to a file: masks per kind, and a few masked texts."""

    counts: dict[str, int]
    texts: int
    sample: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Redactor:
    """Masks one text after another and keeps count."""

    def __init__(self, names: Iterable[str] = (), lang: str = "sv") -> None:
        self.extra = frozenset(n.casefold() for n in names if n.strip())
        self.lang = lang
        self.counts: Counter[str] = Counter({kind: 0 for kind in MASKS})
        self.texts = 0
        self.sample: list[str] = []

    def redact(self, text: str) -> str:
        """``text`` with everything of the kinds in :data:`MASKS` replaced."""
        before = sum(self.counts.values())
        text = _EMAIL.sub(lambda m: self._mask("email"), text)
        text = _IDENTITY.sub(self._identity, text)
        text = _PHONE.sub(lambda m: self._mask("phone"), text)
        text = _ADDRESS.sub(lambda m: self._mask("address"), text)
        text = self._names(text)
        self.texts += 1
        if sum(self.counts.values()) > before and len(self.sample) < SAMPLE_SIZE:
            self.sample.append(text[:SAMPLE_LENGTH] + ("…" if len(text) > SAMPLE_LENGTH else ""))
        return text

    def result(self) -> Redaction:
        return Redaction(dict(self.counts), self.texts, tuple(self.sample))

    def _mask(self, kind: str) -> str:
        self.counts[kind] += 1
        return MASKS[kind](self.lang)

    def _identity(self, match: re.Match) -> str:
        """Birth date plus four digits; day 61-91 is a samordningsnummer. Anything that is no
        date stays (and may still be a phone number)."""
        month, day = int(match.group(2)), int(match.group(3))
        if not 1 <= month <= 12:
            return match.group(0)
        if 1 <= day <= 31:
            return self._mask("personnummer")
        if 61 <= day <= 91:
            return self._mask("samordningsnummer")
        return match.group(0)

    def _is_name(self, word: str) -> bool:
        folded = word.casefold()
        candidates = {folded, folded.removesuffix("s")} if len(folded) > 3 else {folded}
        if candidates & self.extra:
            return True
        return word[0].isupper() and bool(candidates & default_names())

    def _names(self, text: str) -> str:
        """Listed names masked; a run of them ("Anna Maria Svensson") is one name."""
        spans: list[list[int]] = []
        for match in _WORD.finditer(text):
            if not self._is_name(match.group(0)):
                continue
            if spans and not text[spans[-1][1]:match.start()].strip():
                spans[-1][1] = match.end()
            else:
                spans.append([match.start(), match.end()])
        for start, end in reversed(spans):
            text = text[:start] + self._mask("name") + text[end:]
        return text
