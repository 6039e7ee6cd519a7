"""`paverkan export ...`: files made from a round's data, the same as the pages offer.

`export report` writes the chiefs' workbook; `export microdata` a closed round's anonymous
microdata for researchers, through the same function and the same log as the researcher page
(:mod:`survey.results.microdata_export`). The files it can write beside the data (invited
counts, codebook, the frozen definition) are what `paverkan stats --responses … --invited …
--questionnaire …` needs to reproduce every figure of the results pages.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

from survey import db
from survey.commands.round import english, find_round

_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group(cls=AppGroup, help="Export a round's figures or data to files.")
def export() -> None:
    pass


@export.command(help="Write the report workbook (.xlsx) of a round: the published figures, "
                     "as on the results pages.")
@click.option("--round", "reference", required=True, help="The round's id or exact title.")
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write it (default paverkan-rapport-YEAR-ID.xlsx).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of sheet names, headings, labels and notes.")
def report(reference: str, output: Path | None, lang: str) -> None:
    from survey.results import workbook

    round_ = find_round(reference)
    output = output or Path(f"paverkan-rapport-{round_.reference_year}-{round_.id}.xlsx")
    try:
        with output.open("wb") as handle:
            workbook.write(db.session(), round_, handle, lang)
    except workbook.NothingToReport as problem:
        output.unlink(missing_ok=True)
        raise click.ClickException(str(problem)) from None
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write: {error.strerror or error}") from None
    click.echo(f"{output}: report workbook of {round_.title}")


@export.command(help="Write a closed round's anonymous microdata (one row per response).")
@click.option("--round", "reference", required=True, help="The round's id or exact title.")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx", "sav", "dta"]),
              default="csv", show_default=True)
@click.option("--out", type=_OUT, default=None,
              help="The file to write (default: round-<id>.<format> here).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of labels and codebook.")
@click.option("--invited", type=_OUT, default=None,
              help="Also write the invited counts per stratum (csv) for `paverkan stats`.")
@click.option("--codebook", type=_OUT, default=None,
              help="Also write the codebook: .xlsx or .md.")
@click.option("--definition", type=_OUT, default=None,
              help="Also write the round's frozen questionnaire (JSON, for --questionnaire).")
@click.option("--free-text", is_flag=True,
              help="Include free-text answers, masked (names, numbers, addresses).")
@click.option("--names", "names_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              default=None, help="More names to mask, one per line (with --free-text).")
def microdata(reference, file_format, out, lang, invited, codebook, definition, free_text,
              names_file) -> None:
    from exports import codebook as codebooks
    from exports import writers
    from exports.redaction import KIND_LABELS, parse_names
    from survey.results import microdata_export

    round_ = find_round(reference)
    names = parse_names(names_file.read_text(encoding="utf-8")) if names_file else []
    out = out or Path(f"round-{round_.id}.{file_format}")
    if codebook is not None and codebook.suffix not in (".xlsx", ".md"):
        raise click.BadParameter("the codebook is written as .xlsx or .md", param_hint="--codebook")
    try:
        prepared = microdata_export.export(
            db.session(), round_, who=f"CLI ({getpass.getuser()})", file_format=file_format,
            path=out, lang=lang, free_text=free_text, names=names)
        if invited is not None:
            writers.write_invited(prepared, invited)
        if codebook is not None and codebook.suffix == ".xlsx":
            codebooks.write_xlsx(prepared, codebook)
        elif codebook is not None:
            codebook.write_text(codebooks.markdown(prepared), encoding="utf-8")
        if definition is not None:
            definition.write_text(round_.definition, encoding="utf-8")
    except microdata_export.ExportRefused as refused:
        raise click.ClickException(english(refused.message)) from None
    except OSError as error:
        raise click.ClickException(f"{error.filename}: cannot write: "
                                   f"{error.strerror or error}") from None
    click.echo(f"{out}: {len(prepared.frame)} responses, {len(prepared.columns)} variables")
    click.echo(prepared.rule("en"))
    if prepared.redaction is not None:
        counts = ", ".join(f"{KIND_LABELS[kind].en.lower()} {count}"
                           for kind, count in prepared.redaction.counts.items())
        click.echo(f"Free text: {prepared.redaction.texts} answers, masked: {counts}")
        for text in prepared.redaction.sample:
            click.echo(f"  > {text}")
