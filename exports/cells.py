"""Cells a spreadsheet will not run: text that Excel would read as a formula is neutralised.

Excel (and LibreOffice) evaluate a cell typed or imported as ``=…``, and also ``+…``, ``-…``
and ``@…``; a tab or carriage return in front hides the same payload from a reader's eye.
Any text a respondent, an administrator or a questionnaire author wrote can start that way,
so every text cell of a csv or xlsx export goes through :func:`neutralise`, which puts an
apostrophe in front (OWASP's advice for CSV injection). Numbers are written as numbers and
are never touched: ``-1`` in a numeric column is the code for "not asked", not a formula.
"""

from __future__ import annotations

#: The first characters that make a spreadsheet treat a cell as a formula (or hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet could run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
