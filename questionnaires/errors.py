"""The one error type a bad definition raises, carrying every problem found at once.

A security unit editing a definition should see all its mistakes in one run, each with the
place in the file, rather than fixing them one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def N_(msgid: str) -> str:  # noqa: N802  (gettext's name for a deferred message)
    """Marks ``msgid`` for the message catalogue (pybabel extracts ``N_``) and returns it
    unchanged: this package knows no Flask or Babel, so survey/ translates (:class:`Message`)."""
    return msgid


class Message(str):
    """A problem's text: the English (the string itself, as the CLI prints it) built from a
    message id with ``{name}`` fields and their values, kept so that survey/ can render it in
    the page's language through its catalogue. A value may be a message itself ("{what} is
    empty", what = "the title")."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Message:
        message = super().__new__(cls, msgid.format(**values))
        message.msgid, message.values = msgid, values
        return message

    def render(self, translate: Callable[[str], str]) -> str:
        """The message with ``translate`` applied to its id and to every message within."""
        values = {name: value.render(translate) if isinstance(value, Message) else value
                  for name, value in self.values.items()}
        return translate(self.msgid).format(**values)


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition; ``line`` and ``column`` are 1-based (0 when unknown).
    ``message`` reads in English; as a :class:`Message` it also renders in other languages."""

    file: str
    line: int
    column: int
    message: Message

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class DefinitionError(ValueError):
    """A definition (or part of one) is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ExpressionError(DefinitionError):
    """A condition or formula that cannot be parsed.

    ``position`` is the 0-based offset in the expression text, so the loader can point at
    the exact column inside the YAML file.
    """

    def __init__(self, message: Message, position: int, text: str) -> None:
        self.message = message
        self.position = position
        self.text = text
        super().__init__([Problem("<expression>", 1, position + 1, message)])
