"""The one error type a bad definition raises, carrying every problem found at once.

A security unit editing a definition should see all its mistakes in one run, each with the
place in the file, rather than fixing them one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition; ``line`` and ``column`` are 1-based (0 when unknown)."""

    file: str
    line: int
    column: int
    message: str

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

    def __init__(self, message: str, position: int, text: str) -> None:
        self.message = message
        self.position = position
        self.text = text
        super().__init__([Problem("<expression>", 1, position + 1, message)])
