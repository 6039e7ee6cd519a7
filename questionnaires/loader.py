"""YAML definition → validated frozen dataclasses, with every problem located.

The YAML is *composed* (not constructed) so that each node keeps its line and column; the
definition is then walked once, collecting every problem instead of stopping at the first,
and only a definition without problems becomes a :class:`~questionnaires.model.Questionnaire`.
The canonical JSON of a round goes through the same walk, so a frozen round is validated by
exactly the rules that accepted the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from questionnaires import expression_parser
from questionnaires import expressions as ex
from questionnaires.errors import N_, DefinitionError, ExpressionError, Message, Problem
from questionnaires.fingerprint import canonical_json, fingerprint_of
from questionnaires.model import (
    BINARY_OPTIONS,
    CONTEXT_VARIABLES,
    YEAR_PLACEHOLDER,
    Derived,
    GridItem,
    Option,
    OptionRole,
    Page,
    Question,
    Questionnaire,
    QuestionType,
    Scale,
    Text,
    Variable,
    VariableKind,
)
from questionnaires.tidy import YES_SUFFIX

#: Lower case, so that SPSS and Stata (case-insensitive, 32 characters) keep names distinct.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
#: Names SPSS reserves, plus the expression language's words and the context variables.
RESERVED_NAMES = (
    frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"})
    | expression_parser.RESERVED
    | {c.name for c in CONTEXT_VARIABLES}
)
DEFAULT_MAX_LENGTH = 2000

_CHOICE_TYPES = {QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.SCALE, QuestionType.GRID}
_KIND = {
    QuestionType.SINGLE: VariableKind.CATEGORICAL,
    QuestionType.SCALE: VariableKind.ORDINAL,
    QuestionType.GRID: VariableKind.ORDINAL,
    QuestionType.NUMBER: VariableKind.INTEGER,
    QuestionType.TEXT: VariableKind.TEXT,
    QuestionType.MULTIPLE: VariableKind.BINARY,
}
_QUESTION_KEYS = {"id", "type", "text", "help", "show_if", "sensitive"}
_TYPE_KEYS = {
    QuestionType.SINGLE: {"options", "scale"},
    QuestionType.MULTIPLE: {"options", "scale"},
    QuestionType.SCALE: {"options", "scale"},
    QuestionType.GRID: {"options", "scale", "items"},
    QuestionType.NUMBER: {"min", "max"},
    QuestionType.TEXT: {"max_length"},
}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}?")


@dataclass
class Node:
    """A YAML (or JSON) value with the place it was written (1-based; 0 for JSON)."""

    value: Any  # dict[str, Node], list[Node] or a scalar
    line: int = 0
    column: int = 0
    #: for scalars: the text as written, so that `en: No` stays "No", not False.
    raw: str | None = None
    style: str | None = None
    keys: dict[str, Node] = field(default_factory=dict)


def load(path: str | Path) -> Questionnaire:
    """Read and validate a definition file; raise :class:`DefinitionError` listing all problems.

    A file that cannot be read or is not UTF-8 text (a binary, a Latin-1 export from a word
    processor) is a located problem like any other, so every command that takes a definition
    prints a message instead of a traceback.
    """
    path = Path(path)
    return loads(_read_text(path), filename=str(path))


def _read_text(path: Path) -> str:
    """The file's text, or :class:`DefinitionError` saying why it cannot be used."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        message = Message(N_("cannot read: is a directory"))
        raise DefinitionError([Problem(str(path), 0, 0, message)]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise DefinitionError([Problem(str(path), 0, 0, Message(N_("cannot read: {reason}"),
                                                            reason=reason))]) from None
    return decode(data, str(path))


def decode(data: bytes, filename: str) -> str:
    """A definition's bytes as text (a file read from disk or uploaded through a page), or
    :class:`DefinitionError` at the line and column (counted in bytes) of the first byte that
    is not UTF-8, so a stray Latin-1 "ä" in an otherwise good file can be found and fixed."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[:error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        message = Message(N_("not a UTF-8 text file (byte {byte} cannot be decoded); save the "
                             "definition as UTF-8"), byte=f"0x{data[error.start]:02x}")
        raise DefinitionError([Problem(filename, line, column, message)]) from None


def loads(text: str, filename: str = "<string>") -> Questionnaire:
    return _Builder(filename).build(_compose(text, filename))


def from_canonical_json(text: str) -> Questionnaire:
    """Rebuild a questionnaire from a round's frozen canonical JSON (validated like a file)."""
    try:
        root = _from_plain(json.loads(text))
    except ValueError as error:
        raise DefinitionError([Problem("<canonical>", 0, 0, Message(N_("not JSON: {error}"),
                                                                  error=str(error)))]) from None
    except RecursionError:
        message = Message(N_("nested more than {depth} levels deep"), depth=MAX_NESTING)
        raise DefinitionError([Problem("<canonical>", 0, 0, message)]) from None
    return _Builder("<canonical>").build(root)


def _compose(text: str, filename: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        reason = error.problem or error.context
        message = Message(N_("YAML syntax: {reason}"), reason=reason)
        if "expected ',' or" in str(reason):
            message = Message(N_("YAML syntax: {reason}; put a text containing : ? # or , in "
                                 "quotes"), reason=reason)
        raise DefinitionError([Problem(filename, line, column, message)]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([Problem(filename, 0, 0, Message(N_("YAML: {error}"),
                                                            error=str(error)))]) from None
    except RecursionError:
        message = Message(N_("the file is nested more than {depth} levels deep"),
                          depth=MAX_NESTING)
        raise DefinitionError([Problem(filename, 1, 1, message)]) from None
    if root is None:
        raise DefinitionError([Problem(filename, 1, 1, Message(N_("the file is empty")))])
    return _Converter(filename).convert(root)


#: A definition is about six levels deep; anything far deeper is a mistake or an attack.
MAX_NESTING = 20


class _Converter:
    """Composed YAML nodes → :class:`Node`, reporting duplicate keys.

    Each YAML node is converted once, so aliases (`*name`) cost nothing extra and an alias
    "bomb" of nested references cannot blow up; an alias inside its own anchor is refused.
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.done: dict[int, Node] = {}
        self.active: set[int] = set()

    def convert(self, root: yaml.Node) -> Node:
        node = self.node(root, 0)
        if self.problems:
            raise DefinitionError(self.problems)
        return node

    def problem(self, node: yaml.Node, message: Message) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, message))

    def node(self, node: yaml.Node, depth: int) -> Node:
        if id(node) in self.done:
            return self.done[id(node)]
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if id(node) in self.active:
            self.problem(node, Message(N_("an alias refers to the anchor it is inside")))
            return Node(None, line, column)
        if depth > MAX_NESTING:
            self.problem(node, Message(N_("nested more than {depth} levels deep"),
                                       depth=MAX_NESTING))
            return Node(None, line, column)
        self.active.add(id(node))
        if isinstance(node, yaml.MappingNode):
            values: dict[str, Node] = {}
            keys: dict[str, Node] = {}
            for key_node, value_node in node.value:
                key = self.node(key_node, depth + 1)
                name = key.raw if key.raw is not None else "?"
                if name in values:
                    self.problem(key_node, Message(N_("duplicate key {name!r}"), name=name))
                values[name] = self.node(value_node, depth + 1)
                keys[name] = key
            result = Node(values, line, column, keys=keys)
        elif isinstance(node, yaml.SequenceNode):
            result = Node([self.node(n, depth + 1) for n in node.value], line, column)
        else:
            try:
                value = yaml.SafeLoader("").construct_object(node)
            except yaml.YAMLError:
                value = node.value
            result = Node(value, line, column, raw=node.value, style=node.style)
        self.active.discard(id(node))
        self.done[id(node)] = result
        return result


def _from_plain(value: Any) -> Node:
    if isinstance(value, dict):
        items = {str(k): _from_plain(v) for k, v in value.items()}
        return Node(items, keys={k: Node(k, raw=k) for k in items})
    if isinstance(value, list):
        return Node([_from_plain(v) for v in value])
    raw = value if isinstance(value, str) else json.dumps(value)
    return Node(value, raw=raw)


@dataclass
class _Known:
    """What a condition may refer to at some point of the walk."""

    variables: dict[str, Variable] = field(default_factory=dict)
    page_of: dict[str, str] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)


class _Builder:
    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self.known = _Known()
        self.scales: dict[str, Scale] = {}
        self.names: dict[str, Node] = {}
        self.question_ids: dict[str, Node] = {}
        #: every variable name the definition declares → its page id (or _DERIVED), found
        #: before the walk so a condition naming a later variable is told so, not "unknown".
        self.declared: dict[str, object] = {}

    # -- reporting -------------------------------------------------------------------------

    def problem(self, node: Node, message: Message, column: int | None = None) -> None:
        self.problems.append(
            Problem(self.file, node.line, node.column if column is None else column, message)
        )

    def build(self, root: Node) -> Questionnaire:
        self.declared = _declared_names(root)
        questionnaire = self.questionnaire(root)
        if self.problems or questionnaire is None:
            if not self.problems:
                self.problem(root, Message(N_("the definition is incomplete")))
            raise DefinitionError(sorted(self.problems, key=lambda p: (p.line, p.column)))
        canonical = canonical_json(questionnaire)
        return dataclasses.replace(
            questionnaire, canonical_json=canonical, fingerprint=fingerprint_of(canonical)
        )

    # -- generic shapes --------------------------------------------------------------------

    def mapping(
        self, node: Node, what: str, required: set[str], optional: set[str]
    ) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, Message(N_("{what} must be a mapping of keys and values"),
                                       what=what))
            return None
        allowed = required | optional
        misspelt = set()
        for key, key_node in node.keys.items():
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                misspelt.update(hint)
                self.problem(key_node, Message(
                    N_("unknown key {key!r} in {what} (allowed: {allowed}){also}"), key=key,
                    what=what, allowed=", ".join(sorted(allowed)), also=_did_you_mean(hint)))
        for key in sorted(required - node.value.keys() - misspelt):
            self.problem(node, Message(N_("{what} is missing the key {key!r}"), what=what, key=key))
        return node.value

    def sequence(self, node: Node, what: str, empty_message: str) -> list[Node]:
        if not isinstance(node.value, list):
            self.problem(node, Message(N_("{what} must be a list"), what=what))
            return []
        if not node.value:
            self.problem(node, empty_message)
        return node.value

    def string(self, node: Node, what: str) -> str | None:
        if isinstance(node.value, dict | list) or node.raw is None:
            self.problem(node, Message(N_("{what} must be text"), what=what))
            return None
        if node.value is None or not node.raw.strip():
            self.problem(node, Message(N_("{what} is empty"), what=what))
            return None
        return node.raw.strip()

    def integer(self, node: Node, what: str, minimum: int | None = None) -> int | None:
        value = node.value
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(node, Message(N_("{what} must be a whole number, not {value!r}"),
                                       what=what, value=node.raw or value))
            return None
        if minimum is not None and value < minimum:
            self.problem(node, Message(N_("{what} must be {minimum} or more, not {value}"),
                                       what=what, minimum=minimum, value=value))
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        if not isinstance(node.value, bool):
            self.problem(node, Message(N_("{what} must be true or false"), what=what))
            return None
        return node.value

    def name(self, node: Node, what: str) -> str | None:
        name = self.string(node, what)
        if name is None:
            return None
        if not NAME_PATTERN.fullmatch(name):
            self.problem(node, Message(
                N_("{what} {name!r} must start with a lower-case letter and use only a-z, 0-9 "
                   "and _ (at most 32 characters)"), what=what, name=name))
            return None
        if name in RESERVED_NAMES:
            self.problem(node, Message(N_("{what} {name!r} is a reserved word"), what=what,
                                       name=name))
            return None
        return name

    def text(self, node: Node, what: str) -> Text | None:
        fields = self.mapping(node, what, {"sv", "en"}, set())
        if fields is None:
            return None
        return self.translations(node, fields, what)

    def translations(self, node: Node, fields: dict[str, Node], what: str) -> Text | None:
        values = {}
        for lang in ("sv", "en"):
            if lang in fields:
                values[lang] = self.string(fields[lang], Message(N_("{what} ({lang})"),
                                                                 what=what, lang=lang))
                if values[lang] is not None:
                    self.placeholders(fields[lang], values[lang])
        if values.get("sv") is None or values.get("en") is None:
            return None
        return Text(values["sv"], values["en"])

    def placeholders(self, node: Node, text: str) -> None:
        for match in _PLACEHOLDER.finditer(text):
            if match.group() != YEAR_PLACEHOLDER:
                self.problem(node, Message(
                    N_("unknown placeholder {found!r}; only {year} (the round's reference "
                       "year) is replaced"), found=match.group(), year=YEAR_PLACEHOLDER))

    def register(self, name: str, node: Node) -> bool:
        """Claim a variable name; False (and a problem) when it is taken."""
        if name in self.names:
            first = self.names[name]
            self.problem(node, Message(
                N_("duplicate variable name {name!r} (first used at line {line})"), name=name,
                line=first.line))
            return False
        self.names[name] = node
        return True

    # -- the definition --------------------------------------------------------------------

    def questionnaire(self, root: Node) -> Questionnaire | None:
        fields = self.mapping(
            root, Message(N_("the definition")), {"id", "title", "pages"},
            {"intro", "scales", "derived"},
        )
        if fields is None:
            return None
        qid = (self.name(fields["id"], Message(N_("the questionnaire id")))
               if "id" in fields else None)
        title = self.text(fields["title"], Message(N_("the title"))) if "title" in fields else None
        intro = (self.text(fields["intro"], Message(N_("the introduction")))
                 if "intro" in fields else None)
        if "scales" in fields:
            self.scale_definitions(fields["scales"])
        pages: list[Page] = []
        page_ids: dict[str, Node] = {}
        for page_node in (
            self.sequence(fields["pages"], "pages",
                          Message(N_("the questionnaire has no pages")))
            if "pages" in fields
            else []
        ):
            page = self.page(page_node, page_ids)
            if page is not None:
                pages.append(page)
        derived = self.derived_list(fields["derived"]) if "derived" in fields else ()
        if qid is None or title is None:
            return None
        return Questionnaire(
            id=qid,
            title=title,
            pages=tuple(pages),
            derived=derived,
            scales=tuple(self.scales[name] for name in sorted(self.scales)),
            intro=intro,
        )

    def scale_definitions(self, node: Node) -> None:
        if not isinstance(node.value, dict):
            self.problem(node, Message(N_("scales must be a mapping from scale name to scale")))
            return
        for name, scale_node in node.value.items():
            key = node.keys[name]
            if self.name(key, Message(N_("the scale name"))) is None:
                continue
            scale = Message(N_("scale {name!r}"), name=name)
            fields = self.mapping(scale_node, scale, {"options"}, {"yes_codes"})
            if fields is None or "options" not in fields:
                continue
            options = self.options(fields["options"], scale)
            yes_codes = ()
            if "yes_codes" in fields:
                yes_codes = self.yes_codes(fields["yes_codes"], options, name)
            self.scales[name] = Scale(name, options, yes_codes)

    def yes_codes(self, node: Node, options: tuple[Option, ...], scale: str) -> tuple[int, ...]:
        codes = []
        for code_node in self.sequence(node, "yes_codes",
                                       Message(N_("yes_codes is empty; leave it out"))):
            code = self.integer(code_node, Message(N_("a yes code")), 0)
            if code is None:
                continue
            option = next((o for o in options if o.code == code), None)
            if option is None:
                self.problem(code_node, Message(
                    N_("yes code {code} is not a code of scale {scale!r}"), code=code,
                    scale=scale))
            elif not option.substantive:
                self.problem(code_node, Message(N_("yes code {code} is a {role} answer"), code=code,
                                                role=option.role.value))
            else:
                codes.append(code)
        return tuple(codes)

    def options(
        self, node: Node, what: str,
        conditions: Callable[[str], Message | None] | None = None,
    ) -> tuple[Option, ...]:
        """The options of a list; ``conditions`` checks the names an option's ``show_if``
        uses, and is ``None`` where options cannot have one (a scale, a grid)."""
        options: list[Option] = []
        seen: dict[int, Node] = {}
        for option_node in self.sequence(node, Message(N_("the options of {what}"), what=what),
                                         Message(N_("{what} has no options"), what=what)):
            fields = self.mapping(option_node, Message(N_("an option of {what}"), what=what),
                                  {"code", "sv", "en"}, {"role", "show_if"})
            if fields is None:
                continue
            code = (self.integer(fields["code"], Message(N_("the code")), 0)
                    if "code" in fields else None)
            if code is not None and code in seen:
                self.problem(fields["code"], Message(
                    N_("duplicate code {code} in {what} (first at line {line})"), code=code,
                    what=what, line=seen[code].line))
                code = None
            elif code is not None:
                seen[code] = fields["code"]
            label = self.translations(option_node, fields,
                                      Message(N_("option {code}"), code=code))
            role = OptionRole.SUBSTANTIVE
            if "role" in fields:
                raw = self.string(fields["role"], Message(N_("the role")))
                try:
                    role = OptionRole(raw)
                except ValueError:
                    choices = ", ".join(r.value for r in OptionRole)
                    self.problem(fields["role"], Message(
                        N_("unknown role {role!r} (use one of {choices})"), role=raw,
                        choices=choices))
            show_if = None
            if "show_if" in fields and conditions is None:
                self.problem(fields["show_if"], Message(
                    N_("an option of {what} cannot have show_if; only the options written in a "
                       "single or multiple question can"), what=what))
            elif "show_if" in fields:
                show_if = self.condition(fields["show_if"], conditions)
            if code is not None and label is not None:
                options.append(Option(code, label, role, show_if))
        if isinstance(node.value, list) and len(node.value) == 1:
            self.problem(node, Message(N_("{what} has a single option; give at least two"),
                                       what=what))
        return tuple(options)

    def page(self, node: Node, page_ids: dict[str, Node]) -> Page | None:
        fields = self.mapping(node, Message(N_("a page")), {"id", "title", "questions"},
                              {"intro", "show_if"})
        if fields is None:
            return None
        pid = self.name(fields["id"], Message(N_("the page id"))) if "id" in fields else None
        if pid is not None and pid in page_ids:
            self.problem(fields["id"], Message(
                N_("duplicate page id {pid!r} (first at line {line})"), pid=pid,
                line=page_ids[pid].line))
        elif pid is not None:
            page_ids[pid] = fields["id"]
        title = (
            self.text(fields["title"], Message(N_("the title of page {pid}"), pid=pid))
            if "title" in fields else None
        )
        intro = (
            self.text(fields["intro"], Message(N_("the intro of page {pid}"), pid=pid))
            if "intro" in fields else None
        )
        show_if = None
        if "show_if" in fields:
            show_if = self.condition(fields["show_if"], self.answer_reference_check(pid))
        questions: list[Question] = []
        question_nodes = (
            self.sequence(fields["questions"], "questions",
                          Message(N_("page {pid!r} has no questions"), pid=pid))
            if "questions" in fields
            else []
        )
        for question_node in question_nodes:
            question = self.question(question_node, pid, show_if)
            if question is not None:
                questions.append(question)
        # Variables become visible to conditions only after their whole page.
        for question in questions:
            for variable in question.variables:
                self.known.variables[variable.name] = variable
                self.known.page_of[variable.name] = pid or ""
        if pid is None or title is None:
            return None
        return Page(pid, title, intro, show_if, tuple(questions))

    def question(
        self, node: Node, page_id: str | None, page_if: ex.Expression | None
    ) -> Question | None:
        if not isinstance(node.value, dict):
            self.problem(node, Message(N_("a question must be a mapping of keys and values")))
            return None
        qtype = None
        if "type" in node.value:
            raw = self.string(node.value["type"], Message(N_("the question type")))
            try:
                qtype = QuestionType(raw)
            except ValueError:
                choices = ", ".join(t.value for t in QuestionType)
                self.problem(node.value["type"], Message(
                    N_("unknown question type {type!r} (use one of {choices})"), type=raw,
                    choices=choices))
        extra = _TYPE_KEYS[qtype] if qtype else set().union(*_TYPE_KEYS.values())
        fields = self.mapping(
            node,
            Message(N_("a {type} question"), type=qtype.value) if qtype
            else Message(N_("a question")),
            {"id", "type", "text"},
            _QUESTION_KEYS | extra,
        )
        assert fields is not None
        qid = self.name(fields["id"], Message(N_("the question id"))) if "id" in fields else None
        # Other questions' ids are their variable names, checked as such by register().
        named_apart = qtype in (QuestionType.GRID, QuestionType.MULTIPLE)
        if named_apart and qid is not None and qid in self.question_ids:
            first = self.question_ids[qid].line
            self.problem(fields["id"], Message(
                N_("duplicate question id {qid!r} (first at line {line})"), qid=qid, line=first))
        elif qid is not None:
            self.question_ids[qid] = fields["id"]
        what = Message(N_("question {qid!r}"), qid=qid)
        text = (self.text(fields["text"], Message(N_("the text of {what}"), what=what))
                if "text" in fields else None)
        help_text = (self.text(fields["help"], Message(N_("the help of {what}"), what=what))
                     if "help" in fields else None)
        show_if = None
        if "show_if" in fields:
            show_if = self.condition(fields["show_if"], self.answer_reference_check(page_id))
        sensitive = False
        if "sensitive" in fields:
            sensitive = bool(self.boolean(fields["sensitive"], "sensitive"))
        if qtype is None or qid is None or text is None:
            return None

        options: tuple[Option, ...] = ()
        scale = None
        if qtype in _CHOICE_TYPES:
            conditional = qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
            conditions = self.answer_reference_check(page_id) if conditional else None
            options, scale = self.choices(node, fields, what, conditions)
        minimum = maximum = max_length = None
        if qtype is QuestionType.NUMBER:
            # Negative values are the exports' codes for "not asked" and "skipped".
            minimum = self.integer(fields["min"], "min", 0) if "min" in fields else 0
            maximum = (self.integer(fields["max"], "max", 0)
                       if "max" in fields else None)
            if minimum is not None and maximum is not None and minimum > maximum:
                self.problem(fields["min"], Message(
                    N_("min {minimum} is greater than max {maximum}"), minimum=minimum,
                    maximum=maximum))
        if qtype is QuestionType.TEXT:
            max_length = DEFAULT_MAX_LENGTH
            if "max_length" in fields:
                max_length = self.integer(fields["max_length"], "max_length", 1)
            if "sensitive" in fields and not sensitive:
                self.problem(fields["sensitive"], Message(
                    N_("free text is always sensitive (it can name people); remove "
                       "'sensitive: false'")))
            sensitive = True

        items: tuple[GridItem, ...] = ()
        if qtype is QuestionType.GRID and "items" in fields:
            items = self.grid_items(fields["items"], what)
        elif qtype is QuestionType.GRID:
            self.problem(node, Message(N_("grid {what} has no items"), what=what))
        asked_if = _and_maybe(page_if, show_if)
        variables = self.question_variables(
            node,
            qtype,
            qid,
            text,
            options,
            scale,
            items,
            asked_if,
            sensitive,
            (minimum, maximum, max_length),
        )
        return Question(
            id=qid,
            type=qtype,
            text=text,
            help=help_text,
            options=options,
            scale=scale,
            items=items,
            show_if=show_if,
            minimum=minimum,
            maximum=maximum,
            max_length=max_length,
            sensitive=sensitive,
            variables=variables,
        )

    def choices(self, node: Node, fields: dict[str, Node], what: str, conditions):
        if ("options" in fields) == ("scale" in fields):
            self.problem(node, Message(N_("{what} needs either 'options' or 'scale' (exactly "
                                          "one)"), what=what))
            return (), None
        if "options" in fields:
            return self.options(fields["options"], what, conditions), None
        name = self.string(fields["scale"], Message(N_("the scale")))
        if name not in self.scales:
            hint = difflib.get_close_matches(name or "", sorted(self.scales), n=1)
            self.problem(fields["scale"], Message(N_("unknown scale {name!r}{also}"), name=name,
                                                  also=_did_you_mean(hint)))
            return (), None
        scale = self.scales[name]
        return scale.options, scale

    def grid_items(self, node: Node, what: str) -> tuple[GridItem, ...]:
        items = []
        for item_node in self.sequence(node, "items",
                                       Message(N_("grid {what} has no items"), what=what)):
            fields = self.mapping(item_node, Message(N_("an item of {what}"), what=what),
                                  {"variable", "sv", "en"}, set())
            if fields is None:
                continue
            name = (
                self.name(fields["variable"], Message(N_("the variable name")))
                if "variable" in fields else None
            )
            label = self.translations(item_node, fields, Message(N_("item {name}"), name=name))
            if name is not None and label is not None:
                items.append(GridItem(name, label))
        return tuple(items)

    def question_variables(
        self, node, qtype, qid, text, options, scale, items, asked_if, sensitive, limits
    ) -> tuple[Variable, ...]:
        minimum, maximum, max_length = limits
        common = {"asked_if": asked_if, "sensitive": sensitive, "question_id": qid}
        yes_codes = (
            scale.yes_codes if scale and qtype in (QuestionType.SCALE, QuestionType.GRID) else ()
        )
        wanted: list[tuple[str, Variable]] = []
        if qtype is QuestionType.MULTIPLE:
            for option in options:
                label = Text(f"{text.sv} – {option.label.sv}", f"{text.en} – {option.label.en}")
                # An option not offered is not asked: its variable is -1, not a "no".
                var = Variable(
                    f"{qid}_{option.code}",
                    label,
                    VariableKind.BINARY,
                    options=BINARY_OPTIONS,
                    **{**common, "asked_if": _and_maybe(asked_if, option.show_if)},
                )
                wanted.append((var.name, var))
        elif qtype is QuestionType.GRID:
            for item in items:
                label = Text(f"{text.sv} – {item.label.sv}", f"{text.en} – {item.label.en}")
                var = Variable(
                    item.variable,
                    label,
                    VariableKind.ORDINAL,
                    options=options,
                    yes_codes=yes_codes,
                    **common,
                )
                wanted.append((var.name, var))
        else:
            var = Variable(
                qid,
                text,
                _KIND[qtype],
                options=options,
                minimum=minimum,
                maximum=maximum,
                max_length=max_length,
                yes_codes=yes_codes,
                **common,
            )
            wanted.append((qid, var))
        result = []
        for name, var in wanted:
            if len(name) > 32:
                self.problem(node, Message(
                    N_("variable name {name!r} is longer than 32 characters"), name=name))
                continue
            claimed = self.register(name, node)
            if claimed and var.yes_codes:
                claimed = self.register(name + YES_SUFFIX, node)
            if claimed:
                result.append(var)
        return tuple(result)

    # -- conditions ------------------------------------------------------------------------

    def condition(
        self, node: Node, check: Callable[[str], Message | None]
    ) -> ex.Expression | None:
        """Parse a condition and check each variable it names with ``check``."""
        text = (
            node.raw if node.raw is not None and not isinstance(node.value, dict | list) else None
        )
        if text is None:
            self.problem(node, Message(N_("a condition must be text, such as: group == 1")))
            return None
        try:
            expression = expression_parser.parse(text)
        except ExpressionError as error:
            self.problem(
                node, Message(N_("condition {text!r}: {reason}"), text=text, reason=error.message),
                self.column_in(node, error.position),
            )
            return None
        ok = True
        for name in sorted(expression.variables):
            message = check(name)
            if message is not None:
                self.problem(node, message, self.column_of_name(node, text, name))
                ok = False
        for message in self.code_problems(expression):
            self.problem(node, message)
            ok = False
        return expression if ok else None

    def column_in(self, node: Node, position: int) -> int:
        """The file column of a position inside a one-line condition (else the node's column)."""
        if (
            node.line == 0
            or node.raw is None
            or "\n" in node.raw
            or node.style not in (None, '"', "'")
        ):
            return node.column
        return node.column + position + (0 if node.style is None else 1)

    def column_of_name(self, node: Node, text: str, name: str) -> int:
        match = re.search(rf"\b{re.escape(name)}\b", text)
        return self.column_in(node, match.start() if match else 0)

    def answer_reference_check(self, page_id: str | None) -> Callable[[str], Message | None]:
        def check(name: str) -> Message | None:
            if name in self.known.variables or any(c.name == name for c in CONTEXT_VARIABLES):
                return None
            if name in self.declared and self.declared[name] is _DERIVED:
                return Message(
                    N_("show_if cannot use the derived variable {name!r}: derived variables are "
                       "computed after the answers; write out its condition"), name=name)
            if name in self.declared and self.declared[name] == page_id:
                return Message(
                    N_("show_if uses {name!r}, which is asked on the same page; a page is "
                       "answered at once, so conditions may only use answers from earlier pages"),
                    name=name)
            if name in self.declared:
                return Message(
                    N_("show_if uses {name!r}, which is asked later; only earlier answers may be "
                       "used"), name=name)
            return self.unknown(name, "show_if")

        return check

    def unknown(self, name: str, where: str) -> Message:
        candidates = sorted(set(self.declared) | {c.name for c in CONTEXT_VARIABLES})
        hint = difflib.get_close_matches(name, candidates, n=1)
        return Message(N_("{where} uses unknown variable {name!r}{also}"), where=where,
                       name=name, also=_did_you_mean(hint))

    def lookup(self, name: str):
        """The codes a condition may compare a variable with (context variables included)."""
        for context in CONTEXT_VARIABLES:
            if context.name == name:
                return context
        return self.known.variables.get(name)

    def code_problems(self, expression: ex.Expression) -> list[Message]:
        problems = []
        for name_node in ex.names_used_as_conditions(expression):
            var = self.lookup(name_node.name)
            binary = name_node.name in self.known.derived or (
                isinstance(var, Variable) and var.kind is VariableKind.BINARY
            )
            if var is not None and not binary:
                problems.append(Message(
                    N_("{name!r} is not a yes/no variable; compare it, for example {name} == 1"),
                    name=name_node.name))
        for node in ex.walk(expression):
            if isinstance(node, ex.In) and isinstance(node.operand, ex.Name):
                for code in node.codes:
                    problems.extend(self.code_problem(node, node.operand.name, code))
            elif isinstance(node, ex.Compare):
                problems.extend(self.compare_problems(node))
        return problems

    def compare_problems(self, node: ex.Compare) -> list[Message]:
        pairs = [(node.left, node.right, node.operator)]
        pairs.append((node.right, node.left, _MIRROR[node.operator]))
        problems = []
        for side, other, operator in pairs:
            if not (isinstance(side, ex.Name) and isinstance(other, ex.Literal)):
                continue
            var = self.lookup(side.name)
            if isinstance(var, Variable) and var.kind is VariableKind.TEXT:
                problems.append(_not_comparable(node, side.name))
                continue
            if operator in ("==", "!="):
                problems.extend(self.code_problem(node, side.name, other.number))
                continue
            options = getattr(var, "options", ())
            caught = [
                o
                for o in options
                if not o.substantive
                and ex.Compare(operator, ex.Literal(o.code), other).evaluate({})
            ]
            if caught:
                wanted = [
                    o.code
                    for o in options
                    if o.substantive
                    and ex.Compare(operator, ex.Literal(o.code), other).evaluate({})
                ]
                labels = ", ".join(f"{o.code} ({o.label.sv})" for o in caught)
                codes = ", ".join(str(c) for c in wanted)
                problems.append(Message(
                    N_("{condition} also holds for {labels}; list the codes instead: "
                       "{name} in ({codes})"), condition=str(node), labels=labels,
                    name=side.name, codes=codes))
        return problems

    def code_problem(self, node: ex.Expression, name: str, code: int) -> list[Message]:
        var = self.lookup(name)
        if isinstance(var, Variable) and var.kind is VariableKind.TEXT:
            return [_not_comparable(node, name)]
        options = getattr(var, "options", ())
        if options and all(o.code != code for o in options):
            codes = ", ".join(str(o.code) for o in options)
            return [Message(N_("{condition}: {code} is not a code of {name} (its codes: "
                               "{codes})"), condition=str(node), code=code, name=name,
                            codes=codes)]
        if name in self.known.derived and code not in (0, 1):
            return [Message(N_("{condition}: derived variable {name!r} is 0 or 1, never {code}"),
                            condition=str(node), name=name, code=code)]
        return []

    # -- derived variables -----------------------------------------------------------------

    def derived_list(self, node: Node) -> tuple[Derived, ...]:
        entries = []
        for item in self.sequence(node, "derived",
                                  Message(N_("derived is empty; leave it out"))):
            fields = self.mapping(item, Message(N_("a derived variable")),
                                  {"name", "label", "expression"}, {"description"})
            if fields is None:
                continue
            name = (
                self.name(fields["name"], Message(N_("the derived variable name")))
                if "name" in fields else None
            )
            if name is not None and not self.register(name, fields["name"]):
                name = None
            entries.append((name, fields))
        later = {name: fields for name, fields in entries if name is not None}
        references = {
            name: _names_in(fields["expression"].raw or "")
            for name, fields in later.items()
            if "expression" in fields
        }
        result = []
        for name, fields in entries:
            if name is not None:
                later.pop(name)
            label = (
                self.text(fields["label"], Message(N_("the label of {name}"), name=name))
                if "label" in fields else None
            )
            description = (
                self.text(fields["description"],
                          Message(N_("the description of {name}"), name=name))
                if "description" in fields
                else None
            )
            expression = None
            if "expression" in fields:
                expression = self.condition(
                    fields["expression"], self.derived_reference_check(name, later, references)
                )
            if name is not None and label is not None and expression is not None:
                derived = Derived(name, label, expression, description)
                self.known.derived[name] = derived
                result.append(derived)
        return tuple(result)

    def derived_reference_check(self, name, later, references) -> Callable[[str], Message | None]:
        def check(ref: str) -> Message | None:
            if ref in self.known.variables or ref in self.known.derived:
                return None
            if self.declared.get(ref) is _DERIVED and ref != name and ref not in later:
                return None  # an earlier derived variable with its own reported problem
            if any(c.name == ref for c in CONTEXT_VARIABLES):
                return Message(
                    N_("derived variable {name!r} uses the context variable {ref!r}; the "
                       "statistics split by it instead"), name=name, ref=ref)
            if ref == name or ref in later:
                loop = _find_loop(name, references)
                if loop:
                    return Message(N_("derived variables loop: {loop}"), loop=" → ".join(loop))
                return Message(N_("derived variable {name!r} uses {ref!r}, which is defined "
                                  "later; move it up"), name=name, ref=ref)
            return self.unknown(ref, Message(N_("derived variable {name!r}"), name=name))

        return check


_DERIVED = object()


def _did_you_mean(hint: list[str]) -> Message | str:
    return Message(N_("; did you mean {name!r}?"), name=hint[0]) if hint else ""


def _not_comparable(node: ex.Expression, name: str) -> Message:
    return Message(N_("{condition}: free text {name!r} cannot be compared"),
                   condition=str(node), name=name)


def _declared_names(root: Node) -> dict[str, object]:
    """Best-effort scan of the raw tree for variable names (the walk reports malformed parts)."""

    def get(node: Node, key: str) -> Node | None:
        return node.value.get(key) if isinstance(node.value, dict) else None

    def items(node: Node | None) -> list[Node]:
        return node.value if node is not None and isinstance(node.value, list) else []

    def raw(node: Node | None) -> str | None:
        return node.raw if node is not None else None

    scales = get(root, "scales")
    declared: dict[str, object] = {}
    for page in items(get(root, "pages")):
        page_id = raw(get(page, "id"))
        for question in items(get(page, "questions")):
            qid, qtype = raw(get(question, "id")), raw(get(question, "type"))
            if qtype == "grid":
                for item in items(get(question, "items")):
                    declared.setdefault(raw(get(item, "variable")) or "", page_id)
            elif qtype == "multiple":
                options = get(question, "options")
                scale_name = raw(get(question, "scale"))
                if options is None and scales is not None and scale_name:
                    options = get(get(scales, scale_name) or Node(None), "options")
                for option in items(options):
                    declared.setdefault(f"{qid}_{raw(get(option, 'code'))}", page_id)
            elif qid:
                declared.setdefault(qid, page_id)
    for entry in items(get(root, "derived")):
        declared.setdefault(raw(get(entry, "name")) or "", _DERIVED)
    declared.pop("", None)
    return declared


_MIRROR = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _and_maybe(*conditions: ex.Expression | None) -> ex.Expression | None:
    present = [c for c in conditions if c is not None]
    return ex.and_(*present) if present else None


def _names_in(text: str) -> frozenset[str]:
    try:
        return expression_parser.parse(text).variables
    except ExpressionError:
        return frozenset()


def _find_loop(start: str, references: dict[str, frozenset[str]]) -> list[str] | None:
    """The shortest path start → … → start through derived references, if there is one."""
    paths = [[start]]
    seen = set()
    while paths:
        path = paths.pop(0)
        for ref in sorted(references.get(path[-1], ())):
            if ref == start:
                return [*path, start]
            if ref in references and ref not in seen:
                seen.add(ref)
                paths.append([*path, ref])
    return None
