"""Whatever changed in an earlier round's questionnaire, a reader of Över tid or the report
workbook reads it in her own language: Swedish first, English in English, the instrument's
expressions as the definition writes them."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from questionnaires import Change, ChangeKind
from survey.results.changes import describe

#: One change of every structural kind, the sentence a Swedish reader reads and the English.
EVERY_STRUCTURAL_CHANGE = [
    (Change(ChangeKind.VARIABLE_REMOVED, "c3"), "Variabeln c3 är borttagen",
     "Variable c3 removed"),
    (Change(ChangeKind.VARIABLE_ADDED, "c4"), "Variabeln c4 är tillagd", "Variable c4 added"),
    (Change(ChangeKind.DERIVED_REMOVED, "exposed_any"),
     "Den beräknade variabeln exposed_any är borttagen", "Computed variable exposed_any removed"),
    (Change(ChangeKind.DERIVED_ADDED, "exposed_any"),
     "Den beräknade variabeln exposed_any är tillagd", "Computed variable exposed_any added"),
    (Change(ChangeKind.DERIVED_FORMULA, "exposed_any", before="b1 in (1, 2)", after="b1 == 2"),
     "Den beräknade variabeln exposed_any: formel b1 in (1, 2) → b1 == 2",
     "Computed variable exposed_any: formula b1 in (1, 2) → b1 == 2"),
    (Change(ChangeKind.TYPE, "worry", before=("scale", "ordinal"),
            after=("single", "categorical")),
     "worry: frågetyp scale/ordinal → single/categorical",
     "worry: question type scale/ordinal → single/categorical"),
    (Change(ChangeKind.CODE_REMOVED, "q1", 98), "q1: svarskod 98 är borttagen",
     "q1: answer code 98 removed"),
    (Change(ChangeKind.CODE_ADDED, "q1", 97), "q1: svarskod 97 är tillagd",
     "q1: answer code 97 added"),
    (Change(ChangeKind.CODE_ROLE, "q1", 98, before="dont_know", after="refused"),
     "q1: svarskod 98 räknas som vet inte → vill inte svara",
     "q1: answer code 98 counted as don't know → prefer not to answer"),
    (Change(ChangeKind.CODE_OFFERED_IF, "why", 2, before=None, after="b2 == 2"),
     "why: svarskod 2 visas alltid → om b2 == 2", "why: answer code 2 offered always → if b2 == 2"),
    (Change(ChangeKind.CODE_OFFERED_IF, "why", 2, before="b2 == 2", after=None),
     "why: svarskod 2 visas om b2 == 2 → alltid", "why: answer code 2 offered if b2 == 2 → always"),
    (Change(ChangeKind.CODE_OFFERED_IF, "why", 2, before="b2 == 2", after="b2 == 1"),
     "why: svarskod 2 visas om b2 == 2 → b2 == 1",
     "why: answer code 2 offered if b2 == 2 → b2 == 1"),
    (Change(ChangeKind.ASKED_IF, "a1", before=None, after="group == 1"),
     "a1: frågan ställs till alla → om group == 1", "a1: asked of everyone → asked if group == 1"),
    (Change(ChangeKind.ASKED_IF, "a1", before="group == 1", after=None),
     "a1: frågan ställs om group == 1 → till alla", "a1: asked if group == 1 → asked of everyone"),
    (Change(ChangeKind.ASKED_IF, "a1", before="group == 2", after="group == 1"),
     "a1: frågan ställs om group == 2 → group == 1", "a1: asked if group == 2 → group == 1"),
    (Change(ChangeKind.YES_CODES, "b1", before=(1, 2), after=()),
     "b1: koder som räknas som ja 1, 2 → inga", "b1: codes counted as yes 1, 2 → none"),
    (Change(ChangeKind.MINIMUM, "age", before=None, after=16),
     "age: minsta tillåtna värde ingen gräns → 16", "age: smallest allowed value no limit → 16"),
    (Change(ChangeKind.MAXIMUM, "age", before=99, after=98),
     "age: största tillåtna värde 99 → 98", "age: largest allowed value 99 → 98"),
    (Change(ChangeKind.MAX_LENGTH, "other", before=500, after=200),
     "other: längsta tillåtna svar (tecken) 500 → 200",
     "other: longest allowed answer (characters) 500 → 200"),
    (Change(ChangeKind.SENSITIVE, "c1", before=False, after=True),
     "c1: markeras nu som känslig", "c1: now marked sensitive"),
    (Change(ChangeKind.SENSITIVE, "c1", before=True, after=False),
     "c1: markeras inte längre som känslig", "c1: no longer marked sensitive"),
]

#: Changes of wording keep the data comparable: no page names them as a reason.
WORDING = {ChangeKind.TEXT, ChangeKind.VARIABLE_ORDER, ChangeKind.ORDER_OR_IDS}


def test_every_kind_of_structural_change_has_words_in_both_languages():
    covered = {change.kind for change, _sv, _en in EVERY_STRUCTURAL_CHANGE}
    assert covered == set(ChangeKind) - WORDING


@pytest.mark.parametrize(("change", "swedish", "english"), EVERY_STRUCTURAL_CHANGE,
                         ids=lambda value: str(value) if isinstance(value, Change) else "")
def test_a_reader_reads_a_change_in_her_own_language(app, change, swedish, english):
    with app.test_request_context():
        with force_locale("sv"):
            assert describe(change) == swedish
        with force_locale("en"):
            assert describe(change) == english
