"""A chief reads "Över tid": each closed year's figures as its published report has them,
small cells hidden, and a round that published nothing left out; a round still open is
named as left out, on the page and in the report workbook, never compared."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from flask_babel import force_locale

import questionnaires
from survey.results.labels import HEADLINE
from tests.conftest import RoundFactory
from tests.results.conftest import add_responses, statistics_of
from tests.results.tables import percents, tables

#: Small enough to be quick, large enough that every municipality's total is published;
#: Norrköping's elected members are too few in 2024 and must stay hidden.
STRATA_2023 = {
    ("Linköping", "förtroendevald"): (60, 30), ("Linköping", "medarbetare"): (120, 60),
    ("Norrköping", "förtroendevald"): (50, 25), ("Norrköping", "medarbetare"): (110, 55),
}
STRATA_2024 = {
    ("Linköping", "förtroendevald"): (60, 35), ("Linköping", "medarbetare"): (120, 70),
    ("Norrköping", "förtroendevald"): (40, 3), ("Norrköping", "medarbetare"): (110, 60),
}


@pytest.fixture
def three_years(db_session):
    """2022 closed without a response, 2023 and 2024 closed with published figures."""
    silent = RoundFactory(state="closed", link_salt=None, reference_year=2022,
                          title="Otillåten påverkan 2022")
    earlier = RoundFactory(state="closed", link_salt=None, reference_year=2023,
                           title="Otillåten påverkan 2023")
    add_responses(db_session, earlier, STRATA_2023, seed=23)
    latest = RoundFactory(state="closed", link_salt=None, reference_year=2024,
                          title="Otillåten påverkan 2024")
    add_responses(db_session, latest, STRATA_2024, seed=24)
    return silent, earlier, latest


def _trend(client, latest, item: str, **filters: str) -> list[list[str]]:
    query = "".join(f"&{name}={value}" for name, value in filters.items())
    response = client.get(f"/resultat/over-tid?round={latest.id}&lang=en{query}")
    assert response.status_code == 200
    return tables(response.text)[f"figures trend {item}"][1:]


def _shown(row: list[str]) -> list[float] | None:
    """Answered, share, lower and upper of a row as the page writes them; None for dashes."""
    if row[3:] == ["–", "–", "–"]:
        return None
    return [int(row[3]), *percents(row[4] + " " + row[5])]


def _trends_match_the_published_figures(client, db_session, compared) -> list[list[list[str]]]:
    """Över tid for three items shows exactly the ``compared`` rounds (the last one the
    page's own), a row per municipality, each figure the one recomputed from that round's
    responses; the rows of each item."""
    published = {round_.title: statistics_of(db_session, round_) for round_ in compared}
    trends = []
    for item in ("exposed_any", "exposed_threat", "d2_ja"):
        rows = _trend(client, compared[-1], item)
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (round_.title, str(round_.reference_year), municipality)
            for round_ in compared for municipality in ("Linköping", "Norrköping")]
        for row in rows:
            entry = next(e for e in published[row[0]]["items"][item]["by_municipality"]
                         if e["municipality"] == row[2])
            assert _shown(row) == _published(entry), (item, row)
        trends.append(rows)
    return trends


def _published(entry: dict) -> list[float] | None:
    """The same from the published report; None for a withheld figure."""
    if entry["withheld"]:
        return None
    return [entry["n"], *(round(100 * entry[k], 1)
                          for k in ("share", "wilson_lower", "wilson_upper"))]


def test_each_year_shows_its_own_published_figures_and_a_year_without_any_is_left_out(
        client, login, db_session, three_years):
    silent, earlier, latest = three_years
    login(client, "chief")
    for rows in _trends_match_the_published_figures(client, db_session, (earlier, latest)):
        assert silent.title not in {r[0] for r in rows}
        assert "2022" not in {r[1] for r in rows}
    shown = [_shown(row) for row in _trend(client, latest, "exposed_any")]
    assert shown[0] and shown[1] and shown[3], "most figures are published"
    assert shown[2] is None, "2024's Linköping total is hidden: it would give away the small group"


def test_a_small_group_is_hidden_in_its_year_and_shown_in_the_other(client, login, db_session,
                                                                    three_years):
    _silent, earlier, latest = three_years
    login(client, "chief")
    rows = _trend(client, latest, "exposed_any", group="förtroendevald")
    by_year = {(r[1], r[2]): r for r in rows}
    assert by_year[("2024", "Norrköping")][3:] == ["–", "–", "–"]
    before = statistics_of(db_session, earlier)["items"]["exposed_any"]["cells"]
    cell = next(c for c in before
                if (c["municipality"], c["group"]) == ("Norrköping", "förtroendevald"))
    assert _shown(by_year[("2023", "Norrköping")]) == _published(cell)
    small = next(c for c in statistics_of(db_session, latest)["items"]["exposed_any"]["cells"]
                 if (c["municipality"], c["group"]) == ("Norrköping", "förtroendevald"))
    assert small["withheld"] and small["n"] is None


def test_an_earlier_year_alone_has_no_later_round_beside_it(client, login, three_years):
    _silent, earlier, latest = three_years
    login(client, "chief")
    rows = _trend(client, earlier, "exposed_any")
    assert {r[0] for r in rows} == {earlier.title}
    page = client.get(f"/resultat/over-tid?round={earlier.id}&lang=en").text
    assert "There is no earlier round with the same questionnaire yet" in page


#: 2022's questionnaire asked a1 of the other group: another structure, never compared.
A1_FOR_STAFF = ("show_if: group == 1\n        text:\n          sv: Vilket slags politiskt",
                "show_if: group == 2\n        text:\n          sv: Vilket slags politiskt")


#: The change as a reader of each language reads it; the expressions are the instrument's.
A1_CHANGED = {"sv": "a1: frågan ställs om group == 2 → group == 1",
              "en": "a1: asked if group == 2 → group == 1"}


def _another_structure():
    text = questionnaires.DEFAULT_DEFINITION.read_text(encoding="utf-8")
    assert text.count(A1_FOR_STAFF[0]) == 1
    return questionnaires.loads(text.replace(*A1_FOR_STAFF), filename="2022.yaml")


@pytest.fixture
def a_year_still_open(db_session):
    """2023 and 2025 closed with published figures; 2024 (an earlier reference year than
    2025) still open, its interim figures changing as responses come in; 2022 closed, with
    a questionnaire of another structure."""
    changed = _another_structure()
    RoundFactory(state="closed", link_salt=None, reference_year=2022,
                 title="Otillåten påverkan 2022", definition=changed.canonical_json,
                 fingerprint=changed.fingerprint)
    earlier = RoundFactory(state="closed", link_salt=None, reference_year=2023,
                           title="Otillåten påverkan 2023")
    add_responses(db_session, earlier, STRATA_2023, seed=23)
    still_open = RoundFactory(state="open", reference_year=2024,
                              title="Otillåten påverkan 2024")
    add_responses(db_session, still_open, STRATA_2023, seed=44)
    latest = RoundFactory(state="closed", link_salt=None, reference_year=2025,
                          title="Otillåten påverkan 2025")
    add_responses(db_session, latest, STRATA_2024, seed=25)
    return earlier, still_open, latest


def _text(page: str) -> str:
    """The page's words as a reader sees them, without markup."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _workbook(client, round_, lang: str) -> openpyxl.Workbook:
    download = client.get(f"/resultat/rapport.xlsx?round={round_.id}&lang={lang}")
    assert download.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(download.data))


def _over_time_sheet(book, name: str) -> tuple[list[list], list[list]]:
    """The sheet's figure rows (up to the first empty row) and every row after them."""
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    end = next(i for i, r in enumerate(rows) if not any(v not in (None, "") for v in r))
    return rows[1:end], rows[end:]


def _headline_items(app, lang: str) -> dict[str, str]:
    """The headline indicators by the label the workbook gives them in ``lang``."""
    with app.test_request_context(), force_locale(lang):
        return {str(label): item for item, label in HEADLINE.items()}


def _written(row: list) -> list[float] | None:
    """Answered, share, lower and upper of a workbook row; None for dashes."""
    return None if row[5:9] == ["–"] * 4 else row[5:9]


def _exactly(entry: dict):
    """The same from the published report, to the 15th digit XlsxWriter keeps."""
    if entry["withheld"]:
        return None
    return pytest.approx([entry[k] for k in ("n", "share", "wilson_lower", "wilson_upper")],
                         rel=1e-14)


def test_a_round_still_open_is_left_out_of_the_page_and_named_with_its_reason(
        client, login, db_session, a_year_still_open):
    earlier, still_open, latest = a_year_still_open
    login(client, "chief")
    _trends_match_the_published_figures(client, db_session, (earlier, latest))
    english = _text(client.get(f"/resultat/over-tid?round={latest.id}&lang=en").text)
    assert f"{still_open.title} is still open" in english
    assert "Otillåten påverkan 2022 cannot be compared with this round" in english
    assert "There is no earlier round with the same questionnaire yet" not in english
    swedish = _text(client.get(f"/resultat/over-tid?round={latest.id}&lang=sv").text)
    assert f"{still_open.title} pågår fortfarande" in swedish


def test_a_chief_reads_what_changed_in_the_questionnaire_in_her_own_language(
        client, login, a_year_still_open):
    """Swedish first: the sentence around the instrument's expression is Swedish on the
    Swedish page and English on the English one, never the other."""
    _earlier, _still_open, latest = a_year_still_open
    login(client, "chief")
    swedish = _text(client.get(f"/resultat/over-tid?round={latest.id}&lang=sv").text)
    english = _text(client.get(f"/resultat/over-tid?round={latest.id}&lang=en").text)
    assert A1_CHANGED["sv"] in swedish and A1_CHANGED["en"] not in swedish
    assert A1_CHANGED["en"] in english and A1_CHANGED["sv"] not in english


def test_the_workbook_compares_only_closed_rounds_and_names_the_open_one_left_out(
        app, client, login, db_session, a_year_still_open):
    earlier, still_open, latest = a_year_still_open
    published = {round_.title: statistics_of(db_session, round_) for round_ in (earlier, latest)}
    login(client, "chief")
    for lang, sheet, still_open_reason, a1_changed in (
            ("sv", "Över tid", "pågår fortfarande", A1_CHANGED["sv"]),
            ("en", "Over time", "still open", A1_CHANGED["en"])):
        book = _workbook(client, latest, lang)
        figures, after = _over_time_sheet(book, sheet)
        assert {(r[1], r[2]) for r in figures} == {(earlier.title, 2023), (latest.title, 2025)}
        items = _headline_items(app, lang)
        for row in figures:
            entry = next(e for e in published[row[1]]["items"][items[row[0]]]["by_municipality"]
                         if e["municipality"] == row[3])
            assert _written(row) == _exactly(entry), (lang, row)
        assert len(figures) == len(items) * 2 * 2, "every headline, both years, both towns"
        left_out = {r[0]: r[1] for r in after if r and r[0] and r[0].startswith("Otillåten")}
        assert set(left_out) == {"Otillåten påverkan 2022", still_open.title}, after
        assert still_open_reason in left_out[still_open.title].lower()
        assert a1_changed in left_out["Otillåten påverkan 2022"]
        assert not [c for row in book[sheet].iter_rows() for c in row if c.data_type == "f"]


def test_an_open_round_alone_before_this_one_still_gets_its_note_and_stays_text(
        client, login, db_session):
    still_open = RoundFactory(state="open", reference_year=2024, title="=HYPERLINK(\"x\")")
    add_responses(db_session, still_open, STRATA_2023, seed=44)
    latest = RoundFactory(state="closed", link_salt=None, reference_year=2025,
                          title="Otillåten påverkan 2025")
    add_responses(db_session, latest, STRATA_2024, seed=25)
    login(client, "chief")
    assert {r[0] for r in _trend(client, latest, "exposed_any")} == {latest.title}
    page = _text(client.get(f"/resultat/over-tid?round={latest.id}&lang=en").text)
    assert f"{still_open.title} is still open" in page
    book = _workbook(client, latest, "sv")
    figures, after = _over_time_sheet(book, "Över tid")
    assert {(r[1], r[2]) for r in figures} == {(latest.title, 2025)}
    note = next(r for r in after if r and r[0] == still_open.title)
    assert "pågår fortfarande" in note[1].lower()
    cell = next(c for row in book["Över tid"].iter_rows() for c in row
                if c.value == still_open.title)
    assert cell.data_type == "s", "a title that looks like a formula stays text"
