"""An option can carry a condition: "what was the most serious incident" offers only the
kinds the respondent reported, and the codebook, the diff and the tidy row all say so."""

import questionnaires
from questionnaires import codebook, tidy
from questionnaires.model import NOT_ASKED, SKIPPED

EXPOSED_TO_THREATS = {"group": 1, "b1": 0, "b5": 2, "b6": 1, "b11": 99}

REASONS = """
id: reasons
title: {sv: Enkät, en: Survey}
pages:
  - id: p1
    title: {sv: Sida, en: Page}
    questions:
      - id: q1
        type: single
        text: {sv: Fråga, en: Question}
        options:
          - {code: 1, sv: Ja, en: "Yes"}
          - {code: 0, sv: Nej, en: "No"}
          - {code: 99, sv: Vill inte svara, en: Prefer not to answer, role: refused}
  - id: p2
    title: {sv: Sida, en: Page}
    questions:
      - id: why
        type: multiple
        text: {sv: Varför, en: Why}
        options:
          - {code: 1, sv: Lönlöst, en: Pointless}
          - {code: 2, sv: Rädd, en: Afraid, show_if: q1 == 1}
          - {code: 99, sv: Vill inte svara, en: Prefer not to answer, role: refused}
"""


def default():
    return questionnaires.load(questionnaires.DEFAULT_DEFINITION)


def test_the_most_serious_incident_offers_only_the_kinds_the_respondent_reported():
    c1 = next(q for q in default().questions if q.id == "c1")
    assert [o.code for o in c1.offered_options(EXPOSED_TO_THREATS)] == [5, 6, 99]
    assert [o.code for o in c1.offered_options({"b11": 3})] == [11, 99]


def test_a_stored_kind_that_was_not_reported_is_refused_by_the_variable():
    c1 = default().variable("c1")
    assert c1.accepts(6, EXPOSED_TO_THREATS)
    assert not c1.accepts(1, EXPOSED_TO_THREATS)
    assert c1.accepts(99, EXPOSED_TO_THREATS)


def test_an_option_not_offered_in_a_multiple_choice_question_is_not_asked_rather_than_no():
    questionnaire = questionnaires.loads(REASONS)
    row = tidy.row(questionnaire, {"q1": 0, "why_1": 1, "why_99": 0})
    assert (row["why_1"], row["why_2"]) == (1, NOT_ASKED)
    refused = tidy.row(questionnaire, {"q1": 0, "why_1": 0, "why_99": 1})
    assert (refused["why_1"], refused["why_2"]) == (SKIPPED, NOT_ASKED)
    offered = tidy.row(questionnaire, {"q1": 1, "why_1": 1, "why_2": 0, "why_99": 0})
    assert offered["why_2"] == 0


def test_the_codebook_gives_each_option_condition_exactly_and_in_words():
    book = codebook.build(default())
    offered = {code: (condition, words) for code, condition, words in book.entry("c1").offered_if}
    assert set(offered) == set(range(1, 12))
    condition, words = offered[6]
    assert condition == "b6 in (1, 2, 3)"
    assert words.en.startswith("b6 is one of 1 \"Yes, once\"")
    swedish = book.to_markdown("sv")
    assert "| Kod | Etikett | Roll | Erbjuds om |" in swedish
    assert "| 6 | Dödshot | sakligt svar | `b6 in (1, 2, 3)` – b6 är något av" in swedish


def test_an_option_condition_survives_the_rounds_frozen_definition():
    original = default()
    rebuilt = questionnaires.from_canonical_json(original.canonical_json)
    assert rebuilt.variable("c1").option(6).show_if == original.variable("c1").option(6).show_if
    assert rebuilt.fingerprint == original.fingerprint
