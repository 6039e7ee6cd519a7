"""The condition language: parsed by a real parser, evaluated without eval, one error type."""

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.errors import DefinitionError, ExpressionError
from questionnaires.expression_parser import parse

# -- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a==1", "a == 1"),
        ("(a == 1)", "a == 1"),
        ("a in(1,2 ,3)", "a in (1, 2, 3)"),
        ("a not in (1)", "a not in (1)"),
        ("a and (b and c)", "a and b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not (a == 1 or b == 2)", "not (a == 1 or b == 2)"),
        ("not a == 1", "not a == 1"),
        ("any(b1 in (1,2), c7_1)", "any(b1 in (1, 2), c7_1)"),
        ("count(a == 1, b == 1) >= 2", "count(a == 1, b == 1) >= 2"),
        ("answered( x )", "answered(x)"),
    ],
)
def test_a_condition_has_one_canonical_spelling(text, canonical):
    """The fingerprint must not change because someone added spaces or redundant brackets."""
    assert str(parse(text)) == canonical
    assert parse(canonical) == parse(text)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, False),
        ({"b1": 2}, True),
        ({"b1": 99}, False),
        ({"b1": "2"}, False),
    ],
)
def test_a_missing_or_non_numeric_answer_never_counts_as_yes(answers, expected):
    assert parse("b1 in (1, 2, 3)").evaluate(answers) is expected
    assert parse("b1 >= 1 and b1 <= 3").evaluate(answers) is expected


def test_a_negated_comparison_with_a_missing_answer_is_false_but_not_of_it_is_true():
    assert parse("a != 1").evaluate({}) is False
    assert parse("a not in (1)").evaluate({}) is False
    assert parse("not a == 1").evaluate({}) is True


def test_answered_counts_refusals_as_answers():
    assert parse("answered(c6)").evaluate({"c6": 99})
    assert not parse("answered(c6)").evaluate({})


def test_count_and_any_range_over_conditions():
    answers = {"b1": 1, "b2": 0, "c7_1": 1}
    assert parse("count(b1 == 1, b2 == 1, c7_1) == 2").evaluate(answers)
    assert parse("any(b2 == 1, c7_1)").evaluate(answers)
    assert not parse("any(b2 == 1, c7_2)").evaluate(answers)


def test_variables_lists_every_name_the_condition_reads():
    assert parse("any(a == 1, b) and count(c == 1) > 0 or answered(d)").variables == {
        "a",
        "b",
        "c",
        "d",
    }


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("", 0, "expected a variable, a number or '(', found the end of the condition"),
        ("a ==", 4, "expected a variable, a number or '(', found the end of the condition"),
        ("a = 1", 2, "unexpected character '='"),
        ("a == 1 b", 7, "unexpected 'b'"),
        ("1", 0, "1 is a number, not a condition (a condition is needed here)"),
        ("count(a == 1)", 0, "count(a == 1) is a number, not a condition"),
        ("a < b < c", 6, "comparisons cannot be chained; join them with 'and'"),
        ("(a == 1) == 1", 0, "cannot compare the condition a == 1; compare a variable"),
        ("a in ()", 6, "expected a whole number, found ')'"),
        ("a in 1", 5, "expected '(' after 'in', found '1'"),
        ("a not b", 2, "expected 'in' after 'not' here"),
        ("answered(1)", 9, "answered(...) takes one variable name"),
        ("(a == 1", 7, "expected ')' to close '('"),
        ("any(a == 1", 10, "expected ')' to close any("),
        ("a and 2", 6, "2 is a number, not a condition (around 'and')"),
        ("é == 1", 0, "unexpected character 'é'"),
        ("a == 1234567890", 5, "number 1234567890… is too long"),
        ("(" * 60 + "a", 50, "condition is nested more than 50 levels deep"),
    ],
)
def test_a_bad_condition_says_where_and_what(text, position, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.position == position
    assert caught.value.message.startswith(message)


def test_the_expression_error_is_a_definition_error():
    """Callers catch one error type for any bad definition, condition or not."""
    assert issubclass(ExpressionError, DefinitionError)


# -- properties ----------------------------------------------------------------------------

TOKENS = [
    "a", "b", "c", "in", "not", "and", "or", "any", "count", "answered",
    "(", ")", ",", "==", "!=", "<", "<=", ">", ">=", "0", "1", "99", " ", "=", "é",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_only_ever_raises_the_expression_error(text):
    try:
        parse(text)
    except ExpressionError:
        pass


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join))
def test_arbitrary_token_soup_only_ever_raises_the_expression_error(text):
    try:
        expression = parse(text)
    except ExpressionError:
        return
    assert parse(str(expression)) == expression


VARIABLES = ["a", "b", "c", "d"]
OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
small_ints = st.integers(min_value=0, max_value=4)
names = st.sampled_from(VARIABLES)


def conditions():
    """Random condition trees as plain tuples, independent of the parser's classes."""

    def extend(children):
        values = st.one_of(
            st.tuples(st.just("int"), small_ints),
            st.tuples(st.just("var"), names),
            st.tuples(st.just("count"), st.lists(children, min_size=1, max_size=3)),
        )
        return st.one_of(
            st.tuples(st.just("not"), children),
            st.tuples(st.just("and"), st.lists(children, min_size=2, max_size=3)),
            st.tuples(st.just("or"), st.lists(children, min_size=2, max_size=3)),
            st.tuples(st.just("any"), st.lists(children, min_size=1, max_size=3)),
            st.tuples(st.just("cmp"), st.sampled_from(sorted(OPERATORS)), values, values),
            st.tuples(
                st.just("in"), values, st.lists(small_ints, min_size=1, max_size=3), st.booleans()
            ),
        )

    leaves = st.one_of(
        st.tuples(st.just("name"), names),
        st.tuples(st.just("answered"), names),
        st.tuples(
            st.just("cmp"),
            st.sampled_from(sorted(OPERATORS)),
            st.tuples(st.just("var"), names),
            st.tuples(st.just("int"), small_ints),
        ),
    )
    return st.recursive(leaves, extend, max_leaves=12)


def render(node) -> str:
    """Text for a tree; every compound part in brackets, so precedence never matters."""
    kind = node[0]
    if kind in ("int", "var", "name", "answered"):
        return f"answered({node[1]})" if kind == "answered" else str(node[1])
    if kind == "count":
        return "count(" + ", ".join(render(c) for c in node[1]) + ")"
    if kind == "any":
        return "any(" + ", ".join(render(c) for c in node[1]) + ")"
    if kind == "not":
        return f"not ({render(node[1])})"
    if kind in ("and", "or"):
        return f" {kind} ".join(f"({render(c)})" for c in node[1])
    if kind == "cmp":
        return f"{render(node[2])} {node[1]} {render(node[3])}"
    codes = ", ".join(str(c) for c in node[2])
    return f"{render(node[1])} {'not in' if node[3] else 'in'} ({codes})"


def reference_value(node, answers):
    kind = node[0]
    if kind == "int":
        return node[1]
    if kind == "var":
        return answers.get(node[1])
    return sum(1 for c in node[1] if reference_truth(c, answers))


def is_int(value):
    return type(value) is int


def reference_truth(node, answers):
    """The documented semantics, written out as plainly as possible."""
    kind = node[0]
    if kind == "name":
        return is_int(answers.get(node[1])) and answers.get(node[1]) != 0
    if kind == "answered":
        return answers.get(node[1]) is not None
    if kind == "not":
        return not reference_truth(node[1], answers)
    if kind == "and":
        return all(reference_truth(c, answers) for c in node[1])
    if kind in ("or", "any"):
        return any(reference_truth(c, answers) for c in node[1])
    if kind == "cmp":
        left, right = reference_value(node[2], answers), reference_value(node[3], answers)
        return is_int(left) and is_int(right) and OPERATORS[node[1]](left, right)
    value = reference_value(node[1], answers)
    return is_int(value) and ((value in node[2]) != node[3])


answer_sets = st.dictionaries(
    names, st.one_of(small_ints, st.just(99), st.just("fritext")), max_size=4
)


@settings(max_examples=400, deadline=None)
@given(conditions(), answer_sets)
def test_parsed_conditions_evaluate_like_the_reference_evaluator(tree, answers):
    expression = parse(render(tree))
    assert expression.evaluate(answers) == reference_truth(tree, answers)
    canonical = parse(str(expression))
    assert canonical == expression
    assert canonical.evaluate(answers) == reference_truth(tree, answers)
