"""The instrument: definition files, loader/validator, conditions, fingerprint and codebook.

Pure Python on purpose (no Flask, no database): every upper layer reads the same validated
dataclasses, so a form, a codebook sheet and an SPSS value label all come from one source.
"""

from pathlib import Path

from questionnaires.diff import Diff, diff
from questionnaires.errors import DefinitionError, ExpressionError, Problem
from questionnaires.loader import decode, from_canonical_json, load, loads

#: The default instrument (see ../shared/INSTRUMENT.md and docs/questionnaire-format.md).
DEFAULT_DEFINITION = Path(__file__).parent / "definitions" / "otillaten-paverkan.yaml"

__all__ = [
    "DEFAULT_DEFINITION",
    "DefinitionError",
    "Diff",
    "decode",
    "ExpressionError",
    "Problem",
    "diff",
    "from_canonical_json",
    "load",
    "loads",
]
