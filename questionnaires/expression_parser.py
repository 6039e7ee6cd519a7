"""The grammar of the condition language (questionnaires/expressions.py) and its parser:
a real tokenizer and a recursive-descent parser, never ``eval``.

Grammar (lowest precedence first)::

    condition  := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                           | ["not"] "in" "(" INT ("," INT)* ")"]
    operand    := INT | NAME | call | "(" condition ")"
    call       := ("any" | "count") "(" condition ("," condition)* ")" | "answered" "(" NAME ")"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from questionnaires.errors import N_, ExpressionError, Message
from questionnaires.expressions import (
    Answered,
    AnyOf,
    Compare,
    CountOf,
    Expression,
    In,
    Literal,
    Name,
    Not,
    and_,
    is_condition,
    is_value,
    or_,
)

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
