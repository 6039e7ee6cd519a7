"""The values that are not answers, and how each file format writes them.

In the tidy row (and so in csv and xlsx, which ``paverkan stats`` reads back) an answer is
the instrument's code: "Vet inte" and "Vill inte svara" keep the codes the definition gives
them (98 and 99 in the default instrument), :data:`~questionnaires.model.NOT_ASKED` (−1)
marks a question the conditions did not ask and :data:`~questionnaires.model.SKIPPED` (−2) one
that was asked and left empty.

SPSS can declare at most three single missing values, or one range and one value, per
variable, which four codes (−2, −1, 98, 99) do not fit. So the ``.sav`` file gives every value
that is not an answer a negative code and declares the range −99 … −1 missing: −1 not asked,
−2 skipped, −8 "vet inte", −9 "vill inte svara" (a second option of the same kind in one
question takes −18, −19, then −28, −29 ...). Stata has no user-missing numbers at all, only
the extended missing values ``.a`` … ``.z``: ``.a`` not asked, ``.b`` skipped, ``.d`` "vet
inte", ``.r`` "vill inte svara" (then ``.e``, ``.f`` … and ``.s``, ``.t`` …). Every code keeps
its label in both, and the codebook lists all three spellings.
"""

from __future__ import annotations

from dataclasses import dataclass

from questionnaires.model import NOT_ASKED, SKIPPED, Option, OptionRole, Text

NOT_ASKED_LABEL = Text("Inte tillfrågad", "Not asked")
SKIPPED_LABEL = Text("Tillfrågad, inget svar", "Asked, no answer")

#: The range a ``.sav`` file declares missing.
SPSS_MISSING_RANGE = (-99, -1)

_SPSS_FIRST = {OptionRole.DONT_KNOW: -8, OptionRole.REFUSED: -9}
_STATA_LETTERS = {OptionRole.DONT_KNOW: "defghijklmnopq", OptionRole.REFUSED: "rstuvwxyz"}


@dataclass(frozen=True)
class MissingCode:
    """One value that is not an answer: its label and its spelling in each format."""

    label: Text
    #: the code in the tidy row, csv and xlsx
    code: int
    spss: int
    #: the extended missing value, without its dot
    stata: str


NOT_ASKED_CODE = MissingCode(NOT_ASKED_LABEL, NOT_ASKED, -1, "a")
SKIPPED_CODE = MissingCode(SKIPPED_LABEL, SKIPPED, -2, "b")


def missing_codes(options: tuple[Option, ...], skippable: bool = True) -> tuple[MissingCode, ...]:
    """The missing codes of a variable with ``options``: not asked, skipped (unless the value
    can only be missing by not being asked), then its non-substantive options."""
    found = [NOT_ASKED_CODE, *((SKIPPED_CODE,) if skippable else ())]
    seen: dict[OptionRole, int] = {}
    for option in options:
        if option.substantive:
            continue
        index = seen.get(option.role, 0)
        seen[option.role] = index + 1
        found.append(MissingCode(option.label, option.code,
                                 _SPSS_FIRST[option.role] - 10 * index,
                                 _STATA_LETTERS[option.role][index]))
    return tuple(found)
