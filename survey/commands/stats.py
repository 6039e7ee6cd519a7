"""`paverkan stats`: every figure of a round as JSON, for scripts and researchers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from analysis.disclosure import DEFAULT_MIN_CELL

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(help="Compute every statistic of a round from tidy CSV files and write JSON.")
@click.option("--responses", type=_FILE, required=True,
              help="One row per response: municipality, group, gender, age_band, variables "
                   "(with --questionnaire, gender and age_band may come from E1 and E2).")
@click.option("--invited", type=_FILE, required=True,
              help="Invited counts: municipality, group, invited.")
@click.option("--questionnaire", "definition", type=_FILE, default=None,
              help="The questionnaire YAML; without it columns of 0/1 answers are read as "
                   "binary items and columns of whole numbers 0-10 as ordinal ones (listed "
                   "on standard error and in meta.item_types).")
@click.option("--json", "output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Where to write the figures ('-' for standard output).")
@click.option("--min-cell", type=click.IntRange(min=1), default=DEFAULT_MIN_CELL,
              show_default=True, help="Smallest published cell for the suppression plan.")
@click.option("--unsuppressed", is_flag=True,
              help="Write every figure, the withheld ones too, with the plan beside them "
                   "(to check against another computation on the same microdata; never "
                   "for publication). Without it the figures are the published ones.")
def stats(responses: Path, invited: Path, definition: Path | None, output: Path,
          min_cell: int, unsuppressed: bool) -> None:
    # Imported when the command runs, not when `paverkan --help` lists it.
    from analysis import data as tidy_data
    from analysis import report

    try:
        frame = tidy_data.read_responses(responses)
        counts = tidy_data.read_invited(invited)
        if definition is None:
            data = tidy_data.from_frame(frame, counts)
        else:
            import questionnaires

            data = tidy_data.from_questionnaire(frame, counts, questionnaires.load(definition))
        if data.inference is not None:
            click.echo(data.inference.note(), err=True)
        compute = report.compute if unsuppressed else report.build
        figures = compute(data, min_cell=min_cell)
    except ValueError as error:
        # InputError and DefinitionError name the file, row and column themselves.
        raise click.ClickException(str(error)) from None
    text = json.dumps(figures, ensure_ascii=False, indent=1, allow_nan=False)
    if str(output) == "-":
        click.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write: {error.strerror or error}") from None
    click.echo(f"{output}: {len(data.binary)} binary and {len(data.ordinal)} ordinal items, "
               f"{len(data.responses)} responses", err=True)
