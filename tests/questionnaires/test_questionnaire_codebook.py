"""Researchers and exports read one codebook: codes, roles, filters in words, formulas."""

from pathlib import Path

import questionnaires
from questionnaires import codebook
from questionnaires.model import OptionRole, VariableKind


def default_codebook():
    return codebook.build(questionnaires.load(questionnaires.DEFAULT_DEFINITION))


def test_the_codebook_has_every_column_of_the_tidy_row_in_order():
    from questionnaires import tidy

    questionnaire = questionnaires.load(questionnaires.DEFAULT_DEFINITION)
    book = codebook.build(questionnaire)
    row = tidy.row(questionnaire, {"group": 1})
    assert sorted(e.variable for e in book.entries) == sorted(row)
    assert book.fingerprint == questionnaire.fingerprint


def test_an_entry_carries_question_text_codes_and_roles():
    entry = default_codebook().entry("c6")
    assert entry.question.sv == "Polisanmäldes händelsen?"
    assert entry.question.en == "Was the incident reported to the police?"
    assert entry.type == "single" and entry.kind is VariableKind.CATEGORICAL
    roles = {o.code: o.role for o in entry.codes}
    assert roles[98] is OptionRole.DONT_KNOW and roles[99] is OptionRole.REFUSED


def test_who_was_asked_is_given_in_words_and_as_the_condition():
    entry = default_codebook().entry("a1")
    assert entry.asked_if == "group == 1"
    assert entry.asked.sv == 'group är 1 "Förtroendevald"'
    assert entry.asked.en == 'group is 1 "Elected official"'
    assert default_codebook().entry("a4").asked.sv == "Alla"


def test_a_filter_over_many_items_reads_as_one_sentence():
    asked = default_codebook().entry("c7_1").asked
    assert asked.en.startswith("(at least one of b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11 is")
    assert asked.en.endswith(') and c6 is 0 "No"')


def test_derived_variables_show_their_formula():
    entry = default_codebook().entry("exposed_violence")
    assert entry.formula == "b9 in (1, 2, 3)"
    assert entry.formula_words.sv == (
        'b9 är något av 1 "Ja, en gång", 2 "Ja, 2–5 gånger", 3 "Ja, fler än 5 gånger"'
    )
    assert [o.code for o in entry.codes] == [0, 1]


def test_collapses_are_documented_as_computed_from_their_item():
    entry = default_codebook().entry("d8_ja")
    assert entry.type == "collapse" and entry.formula == "d8 in (3, 4)"


def test_free_text_is_flagged_sensitive():
    book = default_codebook()
    assert book.entry("f1").sensitive and book.entry("f1").max_length == 2000
    assert not book.entry("b1").sensitive


def test_conditions_in_words_cover_every_construct():
    definition = Path(__file__).parent / "definitions" / "minimal.yaml"
    text = definition.read_text().replace(
        "show_if: why_1 or q1 == 1",
        "show_if: not answered(age) and count(why_1, why_2) >= 1 and q1 not in (0, 98) or age < 30",
    )
    book = codebook.build(questionnaires.loads(text))
    assert book.entry("worry").asked.en == (
        '((not age was answered) and (the number that hold of: why_1 is 1 "Selected"; '
        'why_2 is 1 "Selected") is at least 1 and q1 is none of 0 "No", 98 "Don\'t know") '
        "or age is less than 30"
    )


def test_the_markdown_codebook_lists_codes_in_a_table():
    markdown = default_codebook().to_markdown("en")
    assert "| 99 | Prefer not to answer | refused |" in markdown
    assert '- Asked: group is 2 "Staff member" – `group == 2`' in markdown
    assert "Missing values: -1 = not asked" in markdown
