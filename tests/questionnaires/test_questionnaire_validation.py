"""A security unit editing a definition learns every mistake at once, each with file:line:col."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import questionnaires
from questionnaires import DefinitionError

BAD = Path(__file__).parent / "definitions" / "bad"

CASES = [
    ("yaml-syntax", 6, 1, "YAML syntax: expected ',' or '}'"),
    ("not-a-mapping", 1, 1, "the definition must be a mapping of keys and values"),
    ("unknown-top-key", 2, 1, "unknown key 'titel' in the definition (allowed: derived, id, "
     "intro, pages, scales, title); did you mean 'title'?"),
    ("no-pages", 3, 8, "the questionnaire has no pages"),
    ("missing-english", 9, 15, "the text of question 'q1' is missing the key 'en'"),
    ("empty-swedish", 9, 20, "the text of question 'q1' (sv) is empty"),
    ("unknown-type", 8, 15, "unknown question type 'dropdown' (use one of single, multiple, "
     "scale, grid, number, text)"),
    ("duplicate-variable", 14, 9, "duplicate variable name 'q1' (first used at line 7)"),
    ("duplicate-code", 12, 20, "duplicate code 1 in question 'q1' (first at line 11)"),
    ("duplicate-yaml-key", 10, 9, "duplicate key 'text'"),
    ("condition-syntax", 20, 21, "condition 'q1 = 1': unexpected character '='"),
    ("condition-unknown-variable", 20, 18, "show_if uses unknown variable 'q11'; "
     "did you mean 'q1'?"),
    ("condition-later-variable", 10, 18, "show_if uses 'q2', which is asked later"),
    ("condition-same-page", 17, 18, "show_if uses 'q1', which is asked on the same page"),
    ("condition-unknown-code", 20, 18, "q1 == 7: 7 is not a code of q1 (its codes: 1, 0, 99)"),
    ("condition-counts-refusals", 24, 18, "b1 >= 1 also holds for 99 (Vill inte svara); "
     "list the codes instead: b1 in (1)"),
    ("condition-not-yes-no", 20, 18, "'q1' is not a yes/no variable; compare it"),
    ("condition-uses-derived", 20, 18, "show_if cannot use the derived variable 'yes_q1'"),
    ("condition-on-free-text", 16, 18, "t1 == 1: free text 't1' cannot be compared"),
    ("empty-grid", 18, 16, "grid question 'g' has no items"),
    ("unknown-scale", 16, 16, "unknown scale 'frekvens'"),
    ("min-greater-than-max", 9, 14, "min 10 is greater than max 5"),
    ("negative-minimum", 9, 14, "min must be 0 or more, not -1"),
    ("derived-loop", 17, 17, "derived variables loop: d_a → d_b → d_a"),
    ("derived-uses-context", 17, 17, "derived variable 'd_a' uses the context variable 'group'"),
    ("bad-variable-name", 7, 13, "the question id 'Q-1' must start with a lower-case letter"),
    ("reserved-name", 7, 13, "the question id 'group' is a reserved word"),
    ("yes-code-refused", 9, 20, "yes code 99 is a refused answer"),
    ("unknown-role", 12, 77, "unknown role 'declined' (use one of substantive, dont_know, "
     "refused)"),
    ("unknown-placeholder", 9, 20, "unknown placeholder '{år}'; only {year}"),
    ("free-text-not-sensitive", 9, 20, "free text is always sensitive"),
    ("options-and-scale", 14, 9, "question 'q1' needs either 'options' or 'scale' (exactly one)"),
    ("key-of-another-type", 10, 9, "unknown key 'max' in a single question"),
    ("negative-code", 11, 20, "the code must be 0 or more, not -1"),
    ("collapse-name-taken", 18, 9, "duplicate variable name 'b1_ja' (first used at line 14)"),
    ("page-without-questions", 6, 16, "page 'p1' has no questions"),
    ("duplicate-page-id", 14, 9, "duplicate page id 'p1' (first at line 4)"),
    ("single-option", 11, 11, "question 'q1' has a single option; give at least two"),
    ("duplicate-question-id", 13, 13, "duplicate question id 'reasons' (first at line 7)"),
    ("option-condition-same-page", 18, 51, "show_if uses 'q1', which is asked on the same page"),
    ("option-condition-in-scale", 7, 64, "an option of scale 'frequency' cannot have show_if"),
    ("option-condition-unknown-code", 21, 51, "q1 == 7: 7 is not a code of q1"),
    ("unquoted-question-mark", 9, 30, "YAML syntax: expected ',' or '}', but got '?'; put a "
     "text containing : ? # or , in quotes"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "column", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_definition_is_reported_with_its_line_column_and_a_plain_message(
    name, line, column, message
):
    path = BAD / f"{name}.yaml"
    with pytest.raises(DefinitionError) as caught:
        questionnaires.load(path)
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    problem = problems[0]
    assert (problem.line, problem.column) == (line, column), str(problem)
    assert problem.message.startswith(message)
    assert str(caught.value) == f"{path}:{line}:{column}: {problem.message}"


def test_every_bad_definition_on_disk_is_covered_by_a_case():
    on_disk = {p.stem for p in BAD.glob("*.yaml")}
    assert on_disk - {"many-problems"} == {c[0] for c in CASES}


def test_all_problems_are_reported_in_one_run_in_file_order():
    with pytest.raises(DefinitionError) as caught:
        questionnaires.load(BAD / "many-problems.yaml")
    assert [(p.line, p.column, p.message.split(" (")[0]) for p in caught.value.problems] == [
        (2, 8, "the title is missing the key 'en'"),
        (10, 9, "unknown key 'colour' in a single question"),
        (17, 14, "min 3 is greater than max 1"),
    ]


def test_a_definition_given_as_a_string_is_reported_under_the_name_given():
    with pytest.raises(DefinitionError) as caught:
        questionnaires.loads("id: x\n", filename="edited.yaml")
    assert str(caught.value).startswith("edited.yaml:1:1: the definition is missing the key")


def test_an_empty_file_is_a_located_error_not_a_crash():
    with pytest.raises(DefinitionError, match="<string>:1:1: the file is empty"):
        questionnaires.loads("")


def test_a_yes_written_unquoted_stays_text_in_labels():
    """YAML 1.1 reads a bare `No` as false; labels must keep what the editor wrote."""
    text = (Path(__file__).parent / "definitions" / "minimal.yaml").read_text()
    questionnaire = questionnaires.loads(text.replace('en: "No"', "en: No"))
    assert questionnaire.questions[0].options[1].label.en == "No"


def test_a_corrupted_canonical_json_is_a_definition_error():
    with pytest.raises(DefinitionError, match="not JSON"):
        questionnaires.from_canonical_json("{")


MINIMAL = (Path(__file__).parent / "definitions" / "minimal.yaml").read_text(encoding="utf-8")
EDIT_CHARACTERS = " :-{}[],'\"\n#&*!|>0123456789abqxyz_=()"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(MINIMAL) - 1),
            st.sampled_from(["delete", "insert", "replace"]),
            st.sampled_from(EDIT_CHARACTERS),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mistyped_definition_only_ever_raises_the_definition_error(edits):
    """Whatever an editor's slip does to a file, the answer is a located message, not a crash."""
    text = list(MINIMAL)
    for position, action, character in edits:
        position = min(position, len(text) - 1)
        if action == "delete":
            del text[position]
        elif action == "insert":
            text.insert(position, character)
        else:
            text[position] = character
    try:
        questionnaires.loads("".join(text))
    except DefinitionError:
        pass


BOMB = "\n".join(
    [f"l0: &l0 [{', '.join(['x'] * 10)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 1000 + "]" * 1000, "nested more than 20 levels deep"),
        ("a: " + "{b: " * 25 + "1" + "}" * 25, "nested more than 20 levels deep"),
        ("a: &a [*a]", "<string>:1:4: an alias refers to the anchor it is inside"),
        (BOMB, "unknown key 'l0' in the definition"),
        ("id:\tx", "<string>:1:4: YAML syntax: found character '\\t' that cannot start any token"),
    ],
    ids=["deep-lists", "deep-mappings", "recursive-alias", "alias-bomb", "tab"],
)
def test_hostile_yaml_is_refused_quickly_with_a_definition_error(text, message):
    with pytest.raises(DefinitionError) as caught:
        questionnaires.loads(text)
    assert message in str(caught.value)


def test_a_deeply_nested_canonical_json_is_a_definition_error():
    with pytest.raises(DefinitionError, match="nested more than"):
        questionnaires.from_canonical_json("[" * 100_000 + "]" * 100_000)
