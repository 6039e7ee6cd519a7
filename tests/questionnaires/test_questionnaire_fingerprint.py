"""The fingerprint says exactly which instrument produced a figure; diff says what changed."""

import hashlib
import json
from pathlib import Path

import pytest

import questionnaires

DEFINITIONS = Path(__file__).parent / "definitions"
MINIMAL = (DEFINITIONS / "minimal.yaml").read_text(encoding="utf-8")


def minimal(**replacements):
    text = MINIMAL
    for old, new in replacements.values():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return questionnaires.loads(text, filename="changed.yaml")


def test_reordered_keys_comments_quoting_and_spacing_keep_the_fingerprint():
    original = questionnaires.load(DEFINITIONS / "minimal.yaml")
    restyled = questionnaires.load(DEFINITIONS / "minimal-restyled.yaml")
    assert restyled.fingerprint == original.fingerprint
    assert restyled.canonical_json == original.canonical_json
    assert questionnaires.diff(original, restyled).kind == "identical"


def test_the_fingerprint_is_the_sha256_of_sorted_compact_json():
    questionnaire = minimal()
    data = json.loads(questionnaire.canonical_json)
    compact = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert questionnaire.canonical_json == compact
    expected = hashlib.sha256(compact.encode("utf-8")).hexdigest()
    assert questionnaire.fingerprint == expected
    assert data["pages"][2]["questions"][0]["show_if"] == "why_1 or q1 == 1"


@pytest.mark.parametrize(
    "definition",
    [
        DEFINITIONS / "minimal.yaml",
        DEFINITIONS / "no-derived.yaml",
        questionnaires.DEFAULT_DEFINITION,
    ],
)
def test_a_round_rebuilds_the_instrument_from_its_canonical_json(definition):
    original = questionnaires.load(definition)
    rebuilt = questionnaires.from_canonical_json(original.canonical_json)
    assert rebuilt == original
    assert rebuilt.fingerprint == original.fingerprint


STRUCTURE = {
    "variable renamed": (
        ("id: age\n", "id: age_years\n"),
        ["variable age removed", "variable age_years added"],
    ),
    "code changed": (
        ("{code: 98, sv: Vet inte", "{code: 97, sv: Vet inte"),
        ["q1: code 97 added", "q1: code 98 removed"],
    ),
    "role changed": (
        ("role: dont_know", "role: refused"),
        ["q1: code 98 role dont_know → refused"],
    ),
    "type changed": (
        ("        type: scale\n", "        type: single\n"),
        ["worry: type scale/ordinal → single/categorical", "worry: yes_codes (1, 2) → ()"],
    ),
    "condition changed": (
        ("show_if: group == 1", "show_if: group == 2"),
        ["q1: asked if group == 1 → group == 2"],
    ),
    "option condition added": (
        ("role: dont_know}", "role: dont_know, show_if: group == 2}"),
        ["q1: code 98 offered if always → group == 2"],
    ),
    "multiple-choice option condition added": (
        ("{code: 2, sv: Rädd, en: Afraid}", "{code: 2, sv: Rädd, en: Afraid, show_if: b2 == 2}"),
        ["why_2: asked if any(b1 in (1, 2), b2 in (1, 2)) → "
         "any(b1 in (1, 2), b2 in (1, 2)) and b2 == 2"],
    ),
    "range changed": (("max: 99", "max: 98"), ["age: maximum 99 → 98"]),
    "yes codes changed": (
        ("yes_codes: [1, 2]", "yes_codes: [2]"),
        ["b1: yes_codes (1, 2) → (2,)", "b2: yes_codes (1, 2) → (2,)",
         "worry: yes_codes (1, 2) → (2,)"],
    ),
    "derived formula changed": (
        ("expression: any(b1 in (1, 2), b2 in (1, 2))", "expression: b1 in (1, 2)"),
        ["derived exposed: formula any(b1 in (1, 2), b2 in (1, 2)) → b1 in (1, 2)"],
    ),
}  # fmt: skip

WORDING = {
    "item label": (
        ("sv: Hot, en: Threats}", "sv: Hot, en: Threat}"),
        "pages[first].questions[exposure].items[b1] (en): 'Threats' → 'Threat'",
    ),
    "question text": (
        ("{sv: Ålder, en: Age}", "{sv: Din ålder, en: Age}"),
        "pages[second].questions[age].text (sv): 'Ålder' → 'Din ålder'",
    ),
    "option label": (
        ("sv: Lönlöst", "sv: Meningslöst"),
        "pages[second].questions[why].options[1] (sv): 'Lönlöst' → 'Meningslöst'",
    ),
    "page title": (
        ("{sv: Tredje sidan", "{sv: Sista sidan"),
        "pages[third].title (sv): 'Tredje sidan' → 'Sista sidan'",
    ),
    "derived label": (
        ("{sv: Utsatt, en: Exposed}", "{sv: Utsatt, en: Subjected}"),
        "derived[exposed].label (en): 'Exposed' → 'Subjected'",
    ),
    "option order": (
        (
            "          - {code: 1, sv: Lönlöst, en: Pointless}\n"
            "          - {code: 2, sv: Rädd, en: Afraid}\n",
            "          - {code: 2, sv: Rädd, en: Afraid}\n"
            "          - {code: 1, sv: Lönlöst, en: Pointless}\n",
        ),
        "the order of the variables changed",
    ),
}


@pytest.mark.parametrize("change", sorted(STRUCTURE))
def test_a_structural_change_changes_the_fingerprint_and_diff_lists_it(change):
    replacement, expected = STRUCTURE[change]
    original, changed = minimal(), minimal(edit=replacement)
    assert changed.fingerprint != original.fingerprint
    result = questionnaires.diff(original, changed)
    assert result.kind == "structure"
    assert [str(change) for change in result.structure] == expected


@pytest.mark.parametrize("change", sorted(WORDING))
def test_a_wording_change_changes_the_fingerprint_but_diff_calls_it_wording_only(change):
    replacement, expected = WORDING[change]
    original, changed = minimal(), minimal(edit=replacement)
    assert changed.fingerprint != original.fingerprint
    result = questionnaires.diff(original, changed)
    assert result.kind == "wording"
    assert result.structure == ()
    assert [str(change) for change in result.wording] == [expected]


def test_every_change_gives_its_own_fingerprint():
    changes = [r for r, _ in STRUCTURE.values()] + [r for r, _ in WORDING.values()]
    fingerprints = {minimal(edit=r).fingerprint for r in changes} | {minimal().fingerprint}
    assert len(fingerprints) == len(changes) + 1


def test_each_change_is_data_a_page_can_word_in_its_own_language():
    """survey/ words a change in Swedish or English from its kind, subject and values, so the
    diff hands them over as they are: an expression's text, None for "everyone" or "always"."""
    Change, Kind = questionnaires.Change, questionnaires.ChangeKind
    original = minimal()
    changes = {
        edit: questionnaires.diff(original, minimal(edit=STRUCTURE[edit][0])).structure
        for edit in ("condition changed", "option condition added", "role changed",
                     "type changed", "range changed", "code changed", "derived formula changed")
    }
    assert changes["condition changed"] == (
        Change(Kind.ASKED_IF, "q1", before="group == 1", after="group == 2"),)
    assert changes["option condition added"] == (
        Change(Kind.CODE_OFFERED_IF, "q1", 98, before=None, after="group == 2"),)
    assert changes["role changed"] == (
        Change(Kind.CODE_ROLE, "q1", 98, before="dont_know", after="refused"),)
    assert changes["type changed"] == (
        Change(Kind.TYPE, "worry", before=("scale", "ordinal"), after=("single", "categorical")),
        Change(Kind.YES_CODES, "worry", before=(1, 2), after=()))
    assert changes["range changed"] == (Change(Kind.MAXIMUM, "age", before=99, after=98),)
    assert changes["code changed"] == (Change(Kind.CODE_ADDED, "q1", 97),
                                       Change(Kind.CODE_REMOVED, "q1", 98))
    assert changes["derived formula changed"] == (
        Change(Kind.DERIVED_FORMULA, "exposed", before="any(b1 in (1, 2), b2 in (1, 2))",
               after="b1 in (1, 2)"),)
    asked_of_everyone = minimal(edit=("        show_if: group == 1\n", ""))
    assert questionnaires.diff(original, asked_of_everyone).structure == (
        Change(Kind.ASKED_IF, "q1", before="group == 1", after=None),)


def test_the_diff_reads_as_a_report():
    original = minimal()
    changed = minimal(a=STRUCTURE["condition changed"][0], b=WORDING["page title"][0])
    assert questionnaires.diff(original, changed).to_text().splitlines() == [
        "differences: structure",
        "structure: q1: asked if group == 1 → group == 2",
        "wording: pages[third].title (sv): 'Tredje sidan' → 'Sista sidan'",
    ]
