"""Variable names and labels that fit SPSS and Stata, shortened by one documented rule.

The instrument's names are lower-case ``a-z0-9_`` of at most 32 characters, but the export
adds ``<name>_ja`` collapses and multiple-choice options ``<question>_<code>``, which can be
longer, and Stata reserves a few words (``in``, ``int``, ``byte``, ...). The rule:

* A name that fits the format is kept as it is.
* Otherwise it becomes its first *L* − 5 characters, ``_`` and the first four hexadecimal
  digits of the SHA-256 of the full name (*L* is the format's limit). The result depends on
  the name alone, so the same variable gets the same short name in every round and every
  year, and pooled files line up.
* Should two names still meet (compared without regard to case, as both programs do), the
  later one in questionnaire order takes the next four digits of its hash, and so on.

Labels longer than a format holds are cut at a character boundary with "…"; the codebook
keeps every full text. Value labels of one variable that become equal when cut get their
code appended, so no two codes of a variable read the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ELLIPSIS = "…"


@dataclass(frozen=True)
class Limits:
    """What one file format holds. Byte limits count UTF-8 bytes, character limits
    characters."""

    name: str
    max_name: int
    max_variable_label: int
    max_value_label: int
    labels_in_bytes: bool
    reserved: frozenset[str] = frozenset()


#: SPSS: names 64 bytes, variable labels 256 bytes, value labels 120 bytes.
SPSS = Limits("sav", 64, 256, 120, labels_in_bytes=True,
              reserved=frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne",
                                  "not", "or", "to", "with"}))
#: Stata (format 118): names 32 characters, variable labels 80, value labels 32,000.
STATA = Limits("dta", 32, 80, 32000, labels_in_bytes=False,
               reserved=frozenset({"_all", "_b", "byte", "_coef", "_cons", "double", "float",
                                   "if", "in", "int", "long", "_n", "_pi", "_pred", "_rc",
                                   "_skip", "strl", "using", "with"}))
#: csv and xlsx keep names and labels whole.
UNLIMITED = Limits("csv", 10**6, 10**6, 10**6, labels_in_bytes=False)


def _reserved(name: str, limits: Limits) -> bool:
    lowered = name.lower()
    if lowered in limits.reserved:
        return True
    # Stata's storage types str1 ... str2045 are reserved too.
    return limits is STATA and lowered.startswith("str") and lowered[3:].isdigit()


def short_names(names: Iterable[str], limits: Limits) -> dict[str, str]:
    """Each name mapped to its name in a file of ``limits``, by the rule of this module."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        digest = hashlib.sha256(name.encode()).hexdigest()
        keep = name[: limits.max_name - 5]
        fits = len(name.encode()) <= limits.max_name and not _reserved(name, limits)
        candidates = [name] if fits else []
        candidates += [f"{keep}_{digest[start:start + 4]}" for start in range(0, 64, 4)]
        chosen = next(c for c in candidates if c.lower() not in taken)
        taken.add(chosen.lower())
        result[name] = chosen
    return result


def fit(text: str, limit: int, in_bytes: bool) -> str:
    """``text`` cut to ``limit`` characters (or UTF-8 bytes), ending in "…" when cut."""
    if _size(text, in_bytes) <= limit:
        return text
    budget = limit - _size(ELLIPSIS, in_bytes)
    cut = text[:budget]  # a character is at least one byte, so this is never too short
    while _size(cut, in_bytes) > budget:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def variable_label(text: str, limits: Limits) -> str:
    return fit(text, limits.max_variable_label, limits.labels_in_bytes)


def value_labels(labels: Mapping[object, str], limits: Limits) -> dict[object, str]:
    """Value labels cut to the format; any that then read alike get their code appended."""
    cut = {code: fit(text, limits.max_value_label, limits.labels_in_bytes)
           for code, text in labels.items()}
    counts: dict[str, int] = {}
    for text in cut.values():
        counts[text] = counts.get(text, 0) + 1
    result = {}
    for code, text in cut.items():
        if counts[text] > 1:
            suffix = f" ({code})"
            text = fit(labels[code], limits.max_value_label - _size(suffix, limits.labels_in_bytes),
                       limits.labels_in_bytes) + suffix
        result[code] = text
    return result


def _size(text: str, in_bytes: bool) -> int:
    return len(text.encode()) if in_bytes else len(text)
