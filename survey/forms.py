"""What every staff form and recipient file is checked for before anything reaches the database.

PostgreSQL refuses a NUL character in any text column and SQLite stores it, so without this a
pasted NUL passes every test on SQLite and ends in a 500 on PostgreSQL. Other control
characters are refused too: they are invisible on the page, so a title or a unit that holds
one looks like, but is not, the name the admin typed. Line breaks and tabs are text.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import InstrumentedAttribute
from wtforms.validators import ValidationError

#: Unicode's control characters (category Cc: U+0000-U+001F and U+007F-U+009F) except tab and
#: line breaks. One compiled class, not a per-character category lookup: a 50,000-row
#: recipient file runs every cell through it.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = _l("The text contains an invisible control character. Type it again "
                     "instead of pasting it.")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def visible(text: str) -> str:
    """The text with each control character shown as [U+0000], so the admin sees where."""
    return "".join(f"[U+{ord(c):04X}]" if has_control_characters(c) else c for c in text)


def max_length(column: InstrumentedAttribute) -> int:
    """The length of a varchar column, so checks follow the schema instead of repeating it."""
    return column.type.length


def _no_control_characters(_form, field) -> None:
    if has_control_characters(field.data):
        raise ValidationError(str(CONTROL_MESSAGE))


class StaffForm(FlaskForm):
    """Base of every staff form: each text field is also checked for control characters, so
    a new field cannot forget it."""

    def __init__(self, *args, **kwargs) -> None:
        """On the page a post was kept for (the login had run out), the kept text."""
        from flask import request

        from survey.auth.drafts import posted_before

        if "formdata" not in kwargs and (kept := posted_before(request.path)) is not None:
            kwargs["formdata"] = kept
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators=None) -> bool:
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field.data, str):
                extra.setdefault(name, []).append(_no_control_characters)
        return super().validate(extra)
