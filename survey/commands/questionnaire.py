"""`paverkan questionnaire check|fingerprint|diff|codebook`."""

import click


@click.group(help="Check, fingerprint, compare and document questionnaire definitions.")
def questionnaire() -> None:
    pass
