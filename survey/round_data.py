"""A round's responses as the tables the statistics take: THE one place that reads them.

Results pages, the report workbook, `paverkan export report` and the researchers' microdata
export all start here, so a figure on a page and the same figure recomputed from the
exported microdata come from the same rows.

Usage::

    data = round_data.read(db_session, round_)
    data.responses            # one row per response (order: random ids, never insertion)
    data.invited              # municipality, group, invited
    data.survey_data()        # analysis.data.SurveyData, via from_questionnaire

``responses`` has the stratum columns ``municipality`` and ``group`` and one column per
variable of the round's frozen questionnaire: the stored answer code (a float, NaN when the
respondent gave none or was not asked: :func:`questionnaires.tidy.row` tells the two apart
from the conditions) and, for text variables, the text (missing: NaN). The unit (förvaltning)
is left out: no published figure breaks down by it, and with it a small unit is a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.data import GROUP, INVITED, MUNICIPALITY, SurveyData, from_questionnaire
from questionnaires.model import Questionnaire, VariableKind
from survey.admin.operations import response_rates
from survey.instrument import questionnaire_of
from survey.models import Response, Round

UNIT = "unit"


@dataclass(frozen=True, eq=False)
class RoundData:
    """The responses and invited counts of one round, with its frozen questionnaire."""

    round_id: int
    questionnaire: Questionnaire
    responses: pd.DataFrame
    invited: pd.DataFrame
    #: the round's minimum cell size: every published figure hides smaller groups.
    min_cell: int
    #: the day the rows were read (the workbook's "data extracted" line); a date, no time.
    extracted_on: dt.date

    @property
    def coded_variables(self) -> list[str]:
        return [v.name for v in self.questionnaire.variables if v.kind is not VariableKind.TEXT]

    def survey_data(self) -> SurveyData:
        """The tidy table ``analysis`` computes on (derived indicators, collapses, covariates
        from the background questions), through ``analysis.data.from_questionnaire``."""
        columns = [MUNICIPALITY, GROUP, *self.coded_variables]
        return from_questionnaire(self.responses[columns], self.invited, self.questionnaire)

    def only_strata(self, strata: set[tuple[str, str]]) -> RoundData:
        """The same round restricted to ``strata`` (municipality, group)."""
        keep = [(m, g) in strata for m, g in zip(self.responses[MUNICIPALITY],
                                                 self.responses[GROUP], strict=True)]
        invited_keep = [(m, g) in strata for m, g in zip(self.invited[MUNICIPALITY],
                                                         self.invited[GROUP], strict=True)]
        return RoundData(self.round_id, self.questionnaire,
                         self.responses[keep].reset_index(drop=True),
                         self.invited[invited_keep].reset_index(drop=True),
                         self.min_cell, self.extracted_on)

    def responses_by_stratum(self) -> dict[tuple[str, str], int]:
        counts = self.responses.groupby([MUNICIPALITY, GROUP]).size()
        return {(str(m), str(g)): int(n) for (m, g), n in counts.items()}


def read(db: Session, round_: Round, with_unit: bool = False) -> RoundData:
    """Every stored response of ``round_`` (an open round: those its pools have flushed) and
    the invited count of each stratum (an open round counts its invitations, a closed one
    the counts its close kept).

    ``with_unit`` adds the ``unit`` column for the microdata export, which merges the units
    below the minimum before anything leaves (:mod:`exports.microdata`).
    """
    questionnaire = questionnaire_of(round_)
    variables = questionnaire.variables
    rows = db.execute(
        select(Response.municipality, Response.group, Response.unit, Response.answers)
        .where(Response.round_id == round_.id)
        .order_by(Response.id)
    )
    records = []
    for municipality, group, unit, answers in rows:
        record: dict[str, object] = {MUNICIPALITY: municipality, GROUP: group}
        if with_unit:
            record[UNIT] = unit
        for variable in variables:
            value = answers.get(variable.name)
            if variable.kind is VariableKind.TEXT:
                record[variable.name] = value if isinstance(value, str) else None
            else:
                record[variable.name] = (float(value) if isinstance(value, (int, float))
                                         and not isinstance(value, bool) else np.nan)
        records.append(record)
    columns = [MUNICIPALITY, GROUP, *([UNIT] if with_unit else []),
               *(v.name for v in variables)]
    responses = pd.DataFrame.from_records(records, columns=columns)
    invited = pd.DataFrame(
        [(r.municipality, r.group, r.invited) for r in response_rates(db, round_)],
        columns=[MUNICIPALITY, GROUP, INVITED],
    )
    return RoundData(round_.id, questionnaire, responses, invited, round_.min_cell_size,
                     dt.date.today())
