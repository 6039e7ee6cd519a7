"""The small condition language of ``show_if`` and derived variables.

Definitions are edited by people who are not programmers and stored in rounds for years, so
conditions are parsed by a real tokenizer and recursive-descent parser into immutable trees
(never ``eval``): the app, the codebook and the statistics then evaluate exactly the same tree,
and :func:`str` gives one canonical spelling for the fingerprint.

The grammar and its parser are questionnaires/expression_parser.py.

Semantics, chosen so that a missing answer never counts as a "yes":

- a comparison (also ``in`` and ``not in``) is false when either side is not an integer,
  in particular when the variable was not answered (not asked, skipped, free text);
- a bare variable used as a condition is true when its value is a non-zero integer (meant for
  0/1 variables: multiple-choice options and derived indicators);
- ``any(...)`` holds when at least one argument holds, ``count(...)`` is the number that hold;
- ``answered(x)`` holds when ``x`` has any value, including "Vet inte" and "Vill inte svara".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property


class Expression:
    """A parsed condition (or, inside one, a value). Subclasses are frozen dataclasses."""

    precedence = 5

    @cached_property
    def variables(self) -> frozenset[str]:
        """Every variable name the expression reads."""
        return frozenset().union(*(child.variables for child in self.children()))

    def children(self) -> tuple[Expression, ...]:
        return ()

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        """Whether the condition holds for these answers."""
        raise TypeError(f"{self} is a number, not a condition")

    def value(self, answers: Mapping[str, object]) -> object:
        """The integer this operand stands for, or ``None``/a string when it has none."""
        raise TypeError(f"{self} is a condition, not a number")

    def _wrap(self, child: Expression) -> str:
        text = str(child)
        return f"({text})" if child.precedence < self.precedence else text


@dataclass(frozen=True)
class Literal(Expression):
    number: int

    def value(self, answers: Mapping[str, object]) -> object:
        return self.number

    def __str__(self) -> str:
        return str(self.number)


@dataclass(frozen=True)
class Name(Expression):
    name: str

    @cached_property
    def variables(self) -> frozenset[str]:
        return frozenset({self.name})

    def value(self, answers: Mapping[str, object]) -> object:
        return answers.get(self.name)

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return _is_int(value := answers.get(self.name)) and value != 0

    def __str__(self) -> str:
        return self.name


_OPERATORS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Compare(Expression):
    operator: str
    left: Expression
    right: Expression
    precedence = 4

    def children(self) -> tuple[Expression, ...]:
        return (self.left, self.right)

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        a, b = self.left.value(answers), self.right.value(answers)
        return _is_int(a) and _is_int(b) and _OPERATORS[self.operator](a, b)

    def __str__(self) -> str:
        return f"{self._wrap(self.left)} {self.operator} {self._wrap(self.right)}"


@dataclass(frozen=True)
class In(Expression):
    operand: Expression
    codes: tuple[int, ...]
    negated: bool = False
    precedence = 4

    def children(self) -> tuple[Expression, ...]:
        return (self.operand,)

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        value = self.operand.value(answers)
        return _is_int(value) and (value in self.codes) != self.negated

    def __str__(self) -> str:
        keyword = "not in" if self.negated else "in"
        codes = ", ".join(str(c) for c in self.codes)
        return f"{self._wrap(self.operand)} {keyword} ({codes})"


@dataclass(frozen=True)
class Not(Expression):
    operand: Expression
    precedence = 3

    def children(self) -> tuple[Expression, ...]:
        return (self.operand,)

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return not self.operand.evaluate(answers)

    def __str__(self) -> str:
        return f"not {self._wrap(self.operand)}"


@dataclass(frozen=True)
class And(Expression):
    operands: tuple[Expression, ...]
    precedence = 2

    def children(self) -> tuple[Expression, ...]:
        return self.operands

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return all(o.evaluate(answers) for o in self.operands)

    def __str__(self) -> str:
        return " and ".join(self._wrap(o) for o in self.operands)


@dataclass(frozen=True)
class Or(Expression):
    operands: tuple[Expression, ...]
    precedence = 1

    def children(self) -> tuple[Expression, ...]:
        return self.operands

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return any(o.evaluate(answers) for o in self.operands)

    def __str__(self) -> str:
        # An "or" nested in an "or" was flattened, so any "or" operand binds tighter.
        return " or ".join(self._wrap(o) for o in self.operands)


@dataclass(frozen=True)
class AnyOf(Expression):
    operands: tuple[Expression, ...]

    def children(self) -> tuple[Expression, ...]:
        return self.operands

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return any(o.evaluate(answers) for o in self.operands)

    def __str__(self) -> str:
        return f"any({', '.join(str(o) for o in self.operands)})"


@dataclass(frozen=True)
class CountOf(Expression):
    operands: tuple[Expression, ...]

    def children(self) -> tuple[Expression, ...]:
        return self.operands

    def value(self, answers: Mapping[str, object]) -> object:
        return sum(1 for o in self.operands if o.evaluate(answers))

    def __str__(self) -> str:
        return f"count({', '.join(str(o) for o in self.operands)})"


@dataclass(frozen=True)
class Answered(Expression):
    operand: Name

    def children(self) -> tuple[Expression, ...]:
        return (self.operand,)

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return answers.get(self.operand.name) is not None

    def __str__(self) -> str:
        return f"answered({self.operand})"


def and_(*operands: Expression) -> Expression:
    """``a and b`` with nested "and"s flattened, so equal conditions print equally."""
    flat: list[Expression] = []
    for o in operands:
        flat.extend(o.operands if isinstance(o, And) else (o,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*operands: Expression) -> Expression:
    flat: list[Expression] = []
    for o in operands:
        flat.extend(o.operands if isinstance(o, Or) else (o,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def is_condition(node: Expression) -> bool:
    return not isinstance(node, Literal | CountOf)


def is_value(node: Expression) -> bool:
    return isinstance(node, Literal | Name | CountOf)


def walk(node: Expression) -> Iterator[Expression]:
    """Every node, parents before children."""
    yield node
    for child in node.children():
        yield from walk(child)


def names_used_as_conditions(node: Expression) -> Iterator[Name]:
    """Bare variables standing for a yes/no (``any(c7_1, c7_2)``), for the validator."""
    if isinstance(node, Name):
        yield node
    for parent in walk(node):
        if isinstance(parent, And | Or | Not | AnyOf | CountOf):
            yield from (c for c in parent.children() if isinstance(c, Name))


class Evaluation:
    """Conditions evaluated over one set of answers, each once, by object: a grid's rows
    share their question's condition, and one condition text parses to one object
    (`questionnaires.expression_parser.parse`), so a condition a questionnaire repeats on
    several pages is evaluated once."""

    def __init__(self, answers: Mapping[str, object]) -> None:
        self.answers = answers
        self._found: dict[int, bool] = {}

    def holds(self, condition: Expression | None) -> bool:
        """Whether ``condition`` holds (no condition always does)."""
        if condition is None:
            return True
        found = self._found.get(id(condition))
        if found is None:
            found = self._found[id(condition)] = bool(condition.evaluate(self.answers))
        return found


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
