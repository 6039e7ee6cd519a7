"""The instrument: definition files, loader/validator, conditions, fingerprint and codebook.

Pure Python on purpose (no Flask, no database): every upper layer reads the same validated
dataclasses, so a form, a codebook sheet and an SPSS value label all come from one source.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from questionnaires.diff import Change, ChangeKind, Diff, diff
from questionnaires.errors import DefinitionError, ExpressionError, Problem

if TYPE_CHECKING:
    from questionnaires.loader import decode, from_canonical_json, load, loads

#: Names of the loader, imported on first use: it brings PyYAML, which `paverkan stats`
#: (reading the model's constants through :mod:`analysis.data`) never needs.
_LOADER = frozenset({"decode", "from_canonical_json", "load", "loads"})


def __getattr__(name: str) -> Any:
    if name not in _LOADER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("questionnaires.loader"), name)
    globals()[name] = value
    return value


#: The default instrument (see ../shared/INSTRUMENT.md and docs/questionnaire-format.md).
DEFAULT_DEFINITION = Path(__file__).parent / "definitions" / "otillaten-paverkan.yaml"

__all__ = [
    "Change",
    "ChangeKind",
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
