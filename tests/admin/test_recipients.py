"""Recipient import: the lists HR and the kansli hand over, as Excel and Swedish CSV save them."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from openpyxl import Workbook

from survey import recipients
from survey.recipients import RecipientFileError, parse

MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")


def check(data: bytes, filename: str = "lista.csv", **kwargs):
    kwargs.setdefault("municipalities", MUNICIPALITIES)
    kwargs.setdefault("groups", GROUPS)
    return parse(data, filename, **kwargs)


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_swedish_excel_csv_in_cp1252_with_semicolons_keeps_åäö():
    """Excel on a Swedish Windows saves 'CSV (semikolonavgränsad)' in cp1252."""
    text = (
        "E-postadress;Kommun;Roll;Förvaltning\r\n"
        "åsa.öberg@linkoping.se;Linköping;Förtroendevald;Kultur- och fritidsförvaltningen\r\n"
        "per@norrkoping.se;NORRKÖPING;medarbetare;\r\n"
    )
    report = check(text.encode("cp1252"))
    assert report.ok
    first, second = report.recipients
    assert first.email == "åsa.öberg@linkoping.se"
    assert first.group == "förtroendevald"
    assert first.unit == "Kultur- och fritidsförvaltningen"
    assert (second.municipality, second.unit) == ("Norrköping", None)
    assert report.strata == {
        ("Linköping", "förtroendevald", "Kultur- och fritidsförvaltningen"): 1,
        ("Norrköping", "medarbetare", None): 1,
    }


def test_utf8_with_bom_and_english_header_with_commas():
    text = "\ufeffEmail,Municipality,Group,Unit\nanna@example.se,Linköping,Medarbetare,Skola\n"
    report = check(text.encode("utf-8"))
    assert report.ok
    assert report.columns == {"email": "Email", "municipality": "Municipality",
                              "group": "Group", "unit": "Unit"}


def test_every_problem_is_reported_with_its_excel_row_number():
    """The admin fixes the file in Excel, so row numbers count the header as row 1."""
    text = (
        "e-post;kommun;grupp\n"
        "a@example.se;Linköping;medarbetare\n"
        "inte-en-adress;Linköping;medarbetare\n"
        ";;\n"
        "A@EXAMPLE.SE;Norrköping;medarbetare\n"
        "b@example.se;Motala;medarbetare\n"
        "c@example.se;Linköping;chef\n"
        "old@example.se;Linköping;medarbetare\n"
        "=HYPERLINK(\"http://evil\");Linköping;medarbetare\n"
        "d@example.se;;medarbetare\n"
    )
    report = check(text.encode(), existing_emails=["Old@Example.se"])
    assert not report.ok
    assert [(p.row, p.code) for p in report.problems] == [
        (3, "invalid_email"),
        (5, "duplicate_in_file"),
        (6, "unknown_municipality"),
        (7, "unknown_group"),
        (9, "formula_email"),
        (10, "missing_municipality"),
    ]
    assert report.problems[1].first_row == 2
    assert report.empty_rows == (4,)
    assert report.already_in_round == ((8, "old@example.se"),)
    assert [r.row for r in report.recipients] == [2]


def test_formula_cells_in_xlsx_are_text_and_never_evaluated():
    data = xlsx({"Blad1": [["E-post", "Kommun", "Grupp", "Enhet"],
                           ["=CONCAT(\"a\";\"@b.se\")", "Linköping", "medarbetare", "=1+1"],
                           ["ok@example.se", "Linköping", "medarbetare", "=1+1"]]})
    report = check(data, "lista.xlsx")
    assert [(p.row, p.code) for p in report.problems] == [(2, "formula_email")]
    assert report.recipients[0].unit == "=1+1"


def test_xlsx_uses_the_first_sheet_unless_another_is_chosen():
    data = xlsx({
        "Instruktioner": [["E-post", "Kommun", "Grupp"],
                          ["a@example.se", "Linköping", "medarbetare"]],
        "Norrköping": [["Email", "Municipality", "Group"],
                       ["b@example.se", "Norrköping", "förtroendevald"],
                       ["c@example.se", "Norrköping", "förtroendevald"]],
    })
    first = check(data, "lista.xlsx")
    assert (first.sheet, len(first.recipients)) == ("Instruktioner", 1)
    assert first.sheets == ("Instruktioner", "Norrköping")
    chosen = check(data, "lista.xlsx", sheet="Norrköping")
    assert [r.email for r in chosen.recipients] == ["b@example.se", "c@example.se"]
    with pytest.raises(RecipientFileError) as error:
        check(data, "lista.xlsx", sheet="Motala")
    assert "Norrköping" in error.value.message


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "tom.csv", "empty"),
        (b"\r\n;;\r\n\r\n", "tom.csv", "empty"),
        (b"Namn;Telefon\nAnna;0701\n", "fel.csv", "missing_columns"),
        (b"E-post;Email;Kommun;Grupp\n", "fel.csv", "ambiguous_columns"),
        (b"PK\x03\x04 not really a zip", "lista.xlsx", "bad_xlsx"),
        (b"\x00\x01\x02binary", "lista.csv", "not_text"),
    ],
)
def test_unusable_files_give_a_clear_error(data, filename, code):
    with pytest.raises(RecipientFileError) as error:
        check(data, filename)
    assert error.value.code == code
    assert error.value.message


def test_wrong_header_names_what_was_found():
    with pytest.raises(RecipientFileError) as error:
        check("Namn;Kommun\nAnna;Linköping\n".encode())
    assert "Namn, Kommun" in error.value.message


def test_twenty_megabytes_of_junk_is_refused():
    junk = os.urandom(20 * 1024 * 1024)
    with pytest.raises(RecipientFileError) as error:
        check(junk, "lista.csv")
    assert error.value.code == "too_large"
    with pytest.raises(RecipientFileError) as error:
        check(junk, "lista.csv", max_bytes=len(junk))
    assert error.value.code == "not_text"


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_inflated():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(RecipientFileError) as error:
        check(data, "lista.xlsx")
    assert error.value.code == "zip_bomb"


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The package with its first sheet's XML passed through `change` (a crafted file)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(member.filename, content)
    return buffer.getvalue()


HEADER = ["E-post", "Kommun", "Grupp"]


def test_a_sheet_that_unpacks_past_the_limit_is_refused_before_parsing():
    """Compresses like a real sheet (no zip bomb) but would take openpyxl minutes."""
    cells = b"".join(b'<c r="A%d" t="inlineStr"><is><t>%s</t></is></c>'
                     % (i, os.urandom(6).hex().encode()) for i in range(2000))
    filler = b"<row>" + cells + b"</row>"

    def bloat(xml: bytes) -> bytes:
        rows = filler * (recipients.MAX_XLSX_PART // len(filler) + 1)
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    data = _rewrite_sheet(xlsx({"Blad1": [HEADER]}), bloat)
    assert len(data) < recipients.DEFAULT_MAX_BYTES
    with pytest.raises(RecipientFileError) as error:
        check(data, "lista.xlsx")
    assert error.value.code == "xlsx_too_large"
    assert "32 MB" in str(error.value.message)


def test_a_sheet_that_declares_a_million_rows_is_refused_before_reading_them():
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.cell(row=1_048_576, column=3, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(RecipientFileError) as error:
        check(buffer.getvalue(), "lista.xlsx")
    assert error.value.code == "too_many_cells"
    assert "500 000" in str(error.value.message)


def test_a_sheet_that_hides_its_size_is_counted_while_read():
    rows = [HEADER] + [[f"p{i}@example.se", "Linköping", "medarbetare"] for i in range(60)]
    data = _rewrite_sheet(xlsx({"Blad1": rows}),
                          lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))
    assert check(data, "lista.xlsx", max_cells=200).ok is True
    with pytest.raises(RecipientFileError) as error:
        check(data, "lista.xlsx", max_cells=150)
    assert error.value.code == "too_many_cells"


def test_a_supplementary_list_skips_those_already_in_the_round():
    """The second list of a municipality overlaps the first: the overlap is named and
    skipped, the newcomers can be imported."""
    text = ("E-post;Kommun;Grupp\n"
            "old@example.se;Linköping;medarbetare\n"
            "new@example.se;Norrköping;medarbetare\n")
    report = check(text.encode(), existing_emails=["OLD@example.se"])
    assert report.ok
    assert [r.email for r in report.recipients] == ["new@example.se"]
    assert report.already_in_round == ((2, "old@example.se"),)


@pytest.mark.parametrize("header", ["Förvaltning", "Enhet", "Förvaltning/Enhet", "Avdelning",
                                    "Enhet / Avdelning", "Förvaltning - enhet", "Sektion"])
def test_unit_headers_as_municipalities_write_them_are_recognised(header):
    text = f"E-post;Kommun;Grupp;{header};Namn\na@example.se;Linköping;medarbetare;Hemtjänst;Ann\n"
    report = check(text.encode())
    assert report.columns["unit"] == header
    assert report.recipients[0].unit == "Hemtjänst"
    assert report.ignored_columns == ("Namn",), "an unknown column is listed, not silently lost"
