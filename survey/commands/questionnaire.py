"""`paverkan questionnaire check|fingerprint|diff|codebook`.

The security unit edits definitions between years; these commands let it check a file before
a round is created, see which version a round will freeze, and learn whether a change keeps
the figures comparable with last year's.
"""

from __future__ import annotations

from pathlib import Path

import click

import questionnaires
from questionnaires import codebook as codebooks
from questionnaires.model import Questionnaire

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group(help="Check, fingerprint, compare and document questionnaire definitions.")
def questionnaire() -> None:
    pass


def _load_all(files: tuple[Path, ...]) -> list[tuple[Path, Questionnaire]]:
    """Load every file, print every located problem, and exit 1 if any file was bad.

    The problems are printed in English, as the rest of the CLI speaks: they name the
    definition's keys (options, show_if), which are English, and quote PyYAML's own English
    messages; the admin page shows the same problems in the page's language."""
    loaded, failed = [], False
    for path in files:
        try:
            loaded.append((path, questionnaires.load(path)))
        except questionnaires.DefinitionError as error:
            click.echo(str(error), err=True)
            failed = True
    if failed:
        raise SystemExit(1)
    return loaded


@questionnaire.command(help="Validate definitions: prints each one's fingerprint, or its errors.")
@click.argument("files", nargs=-1, required=True, type=_FILE)
def check(files: tuple[Path, ...]) -> None:
    for path, loaded in _load_all(files):
        count = len(loaded.variables)
        click.echo(f"{path}: ok, {count} variables, fingerprint {loaded.fingerprint}")


@questionnaire.command(help="Print the SHA-256 fingerprint of each definition.")
@click.argument("files", nargs=-1, required=True, type=_FILE)
def fingerprint(files: tuple[Path, ...]) -> None:
    for path, loaded in _load_all(files):
        click.echo(f"{loaded.fingerprint}  {path}")


@questionnaire.command(help="Say whether two definitions differ in structure or wording only.")
@click.argument("old", type=_FILE)
@click.argument("new", type=_FILE)
def diff(old: Path, new: Path) -> None:
    (_, a), (_, b) = _load_all((old, new))
    click.echo(questionnaires.diff(a, b).to_text())


@questionnaire.command(help="Print the codebook of a definition as Markdown.")
@click.argument("file", type=_FILE)
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
def codebook(file: Path, lang: str) -> None:
    ((_, loaded),) = _load_all((file,))
    click.echo(codebooks.build(loaded).to_markdown(lang), nl=False)
