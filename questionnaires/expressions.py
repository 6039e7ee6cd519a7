"""The small condition language of ``show_if`` and derived variables.

Definitions are edited by people who are not programmers and stored in rounds for years, so
conditions are parsed by a real tokenizer and recursive-descent parser into immutable trees
(never ``eval``): the app, the codebook and the statistics then evaluate exactly the same tree,
and :func:`str` gives one canonical spelling for the fingerprint.

Grammar (lowest precedence first)::

    condition  := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                           | ["not"] "in" "(" INT ("," INT)* ")"]
    operand    := INT | NAME | call | "(" condition ")"
    call       := ("any" | "count") "(" condition ("," condition)* ")" | "answered" "(" NAME ")"

Semantics, chosen so that a missing answer never counts as a "yes":

- a comparison (also ``in`` and ``not in``) is false when either side is not an integer,
  in particular when the variable was not answered (not asked, skipped, free text);
- a bare variable used as a condition is true when its value is a non-zero integer (meant for
  0/1 variables: multiple-choice options and derived indicators);
- ``any(...)`` holds when at least one argument holds, ``count(...)`` is the number that hold;
- ``answered(x)`` holds when ``x`` has any value, including "Vet inte" and "Vill inte svara".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from questionnaires.errors import N_, ExpressionError, Message

#: Guards against inputs that would otherwise exhaust Python's recursion or int parsing.
MAX_LENGTH = 10_000
MAX_DEPTH = 50
MAX_DIGITS = 9

KEYWORDS = frozenset({"and", "or", "not", "in"})
FUNCTIONS = frozenset({"any", "count", "answered"})
RESERVED = KEYWORDS | FUNCTIONS
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")

_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n]+)|(?P<int>[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|<|>)|(?P<punct>[(),])"
)


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
    (:func:`parse`), so a condition a questionnaire repeats on several pages is evaluated
    once."""

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


@dataclass(frozen=True)
class _Token:
    kind: str  # "int", "name", "keyword", "op", "punct", "end"
    text: str
    position: int


def tokenize(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(Message(N_("condition is longer than {length} characters"),
                                      length=MAX_LENGTH), 0, text)
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(Message(N_("unexpected character {character!r}"),
                                          character=text[position]), position, text)
        kind = match.lastgroup or ""
        token = match.group()
        if kind == "int" and len(token) > MAX_DIGITS:
            raise ExpressionError(Message(N_("number {start}… is too long"), start=token[:12]),
                                  position, text)
        if kind == "name" and token in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(_Token(kind, token, position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: Message, token: _Token | None = None) -> ExpressionError:
        return ExpressionError(message, (token or self.current).position, self.text)

    def describe(self, token: _Token) -> str:
        return Message(N_("the end of the condition")) if token.kind == "end" else repr(token.text)

    def accept(self, text: str) -> _Token | None:
        token = self.current
        if token.kind in ("keyword", "op", "punct") and token.text == text:
            self.index += 1
            return token
        return None

    def expect(self, text: str, why: str) -> _Token:
        token = self.accept(text)
        if token is None:
            raise self.error(Message(N_("expected {text!r} {why}, found {found}"), text=text,
                                     why=why, found=self.describe(self.current)))
        return token

    def condition_operand(self, node: Expression, token: _Token, where: str) -> Expression:
        if not is_condition(node):
            raise self.error(Message(N_("{node} is a number, not a condition ({where})"),
                                     node=str(node), where=where), token)
        return node

    def value_operand(self, node: Expression, token: _Token) -> Expression:
        if not is_value(node):
            raise self.error(Message(N_("cannot compare the condition {node}; compare a "
                                        "variable"), node=str(node)), token)
        return node

    def parse(self) -> Expression:
        start = self.current
        node = self.or_expr()
        if self.current.kind != "end":
            raise self.error(Message(N_("unexpected {found}"), found=self.describe(self.current)))
        return self.condition_operand(node, start, Message(N_("a condition is needed here")))

    def or_expr(self) -> Expression:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(_too_deep())
        node = self.chain("or", self.and_expr, or_)
        self.depth -= 1
        return node

    def and_expr(self) -> Expression:
        return self.chain("and", self.not_expr, and_)

    def chain(self, keyword: str, part, combine) -> Expression:
        """``part (keyword part)*``; every part of a real chain must be a condition."""
        parts = [(self.current, part())]
        while self.accept(keyword) is not None:
            parts.append((self.current, part()))
        if len(parts) == 1:
            return parts[0][1]
        where = Message(N_("around {keyword!r}"), keyword=keyword)
        return combine(*(self.condition_operand(node, start, where) for start, node in parts))

    def not_expr(self) -> Expression:
        token = self.accept("not")
        if token is None:
            return self.comparison()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(_too_deep())
        operand = self.not_expr()
        self.depth -= 1
        return Not(self.condition_operand(operand, token, Message(N_("after 'not'"))))

    def comparison(self) -> Expression:
        start = self.current
        left = self.operand()
        token = self.current
        if token.kind == "op":
            self.index += 1
            right_token = self.current
            right = self.operand()
            node = Compare(
                token.text, self.value_operand(left, start), self.value_operand(right, right_token)
            )
            if self.current.kind == "op":
                raise self.error(Message(N_("comparisons cannot be chained; join them with "
                                            "'and'")))
            return node
        negated = False
        if token.kind == "keyword" and token.text == "not":
            if self.tokens[self.index + 1].text != "in":
                raise self.error(Message(N_("expected 'in' after 'not' here")))
            self.index += 1
            negated = True
        if self.accept("in") is not None:
            return In(self.value_operand(left, start), self.code_list(), negated)
        return left

    def code_list(self) -> tuple[int, ...]:
        self.expect("(", Message(N_("after 'in'")))
        codes = [self.integer()]
        while self.accept(",") is not None:
            codes.append(self.integer())
        self.expect(")", Message(N_("to close the list of codes")))
        return tuple(codes)

    def integer(self) -> int:
        token = self.current
        if token.kind != "int":
            raise self.error(Message(N_("expected a whole number, found {found}"),
                                     found=self.describe(token)))
        self.index += 1
        return int(token.text)

    def operand(self) -> Expression:
        token = self.current
        if token.kind == "int":
            self.index += 1
            return Literal(int(token.text))
        if token.kind == "name":
            self.index += 1
            if token.text in FUNCTIONS:
                return self.call(token)
            return Name(token.text)
        if self.accept("(") is not None:
            node = self.or_expr()
            self.expect(")", Message(N_("to close '('")))
            return node
        raise self.error(Message(N_("expected a variable, a number or '(', found {found}"),
                                 found=self.describe(token)))

    def call(self, function: _Token) -> Expression:
        self.expect("(", Message(N_("after {function!r}"), function=function.text))
        if function.text == "answered":
            token = self.current
            if token.kind != "name" or token.text in FUNCTIONS:
                raise self.error(Message(N_("answered(...) takes one variable name")))
            self.index += 1
            self.expect(")", Message(N_("after the variable: answered(...) takes one variable")))
            return Answered(Name(token.text))
        arguments = []
        while True:
            token = self.current
            argument = self.or_expr()
            where = Message(N_("in {function}(...)"), function=function.text)
            arguments.append(self.condition_operand(argument, token, where))
            if self.accept(",") is None:
                break
        self.expect(")", Message(N_("to close {function}("), function=function.text))
        return AnyOf(tuple(arguments)) if function.text == "any" else CountOf(tuple(arguments))


def parse(text: str) -> Expression:
    """Parse a condition; raise :class:`ExpressionError` (and nothing else) when it is bad.

    The same text gives the same (immutable) object, so that a condition a questionnaire
    repeats (one anchor on several pages) is evaluated once per set of answers by a caller
    that remembers results by object (`survey.instrument.prune`)."""
    if not isinstance(text, str):
        raise ExpressionError(Message(N_("a condition must be text")), 0, repr(text))
    return _parsed(text)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Expression:
    return _Parser(text).parse()


def _too_deep() -> Message:
    return Message(N_("condition is nested more than {depth} levels deep"), depth=MAX_DEPTH)
