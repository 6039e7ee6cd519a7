"""The dashboard's counts: per stratum, never a person; small units hidden."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.admin.models import Delivery, Mailing, MailTotal, StratumCount
from survey.models import Invitation, Round


@dataclass
class StratumRates:
    """One row of the dashboard. Counts are None where they are hidden (small units)."""

    municipality: str
    group: str
    unit: str | None
    invited: int = 0
    responded: int | None = 0
    declined: int | None = 0
    bounced: int | None = 0
    mails_sent: int | None = 0
    mails_failed: int | None = 0

    @property
    def rate(self) -> float | None:
        """AAPOR RR-style: completes / invited."""
        if self.responded is None or not self.invited:
            return None
        return self.responded / self.invited

    def hide(self) -> None:
        self.responded = self.declined = self.bounced = None
        self.mails_sent = self.mails_failed = None


def response_rates(db: Session, round_: Round, by_unit: bool = False) -> list[StratumRates]:
    """Counts per stratum (municipality x group, and unit when asked): never a person.

    An open round counts its invitations; a submission counts only once its stratum's pool
    has flushed. A closed round has no invitations left, only the counts its close kept."""
    unit_column = Invitation.unit if by_unit else None
    keys = [Invitation.municipality, Invitation.group] + ([unit_column] if by_unit else [])
    strata: dict[tuple, StratumRates] = {}

    def stratum(key) -> StratumRates:
        if key not in strata:
            strata[key] = StratumRates(key[0], key[1], key[2] if by_unit else None)
        return strata[key]

    kept = [StratumCount.municipality, StratumCount.group] + (
        [StratumCount.unit] if by_unit else [])
    invitations = (
        select(*keys, Invitation.state, func.count()).where(Invitation.round_id == round_.id)
        .group_by(*keys, Invitation.state)
        .union_all(
            select(*kept, StratumCount.state, func.sum(StratumCount.count))
            .where(StratumCount.round_id == round_.id)
            .group_by(*kept, StratumCount.state)
        )
    )
    for *key, state, count in db.execute(invitations):
        row = stratum(tuple(key))
        row.invited += count
        if state in ("responded", "declined", "bounced"):
            setattr(row, state, getattr(row, state) + count)
    # An open round counts its deliveries, a closed one the totals its close kept.
    mail_totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for *key, state, count in db.execute(
        select(*keys, Delivery.state, func.count())
        .join(Invitation, Invitation.id == Delivery.invitation_id)
        .where(Invitation.round_id == round_.id)
        .group_by(*keys, Delivery.state)
    ):
        mail_totals[tuple(key)][state] += count
    total_keys = [MailTotal.municipality, MailTotal.group] + ([MailTotal.unit] if by_unit else [])
    for *key, state, count in db.execute(
        select(*total_keys, MailTotal.state, func.sum(MailTotal.count))
        .join(Mailing, Mailing.id == MailTotal.mailing_id)
        .where(Mailing.round_id == round_.id)
        .group_by(*total_keys, MailTotal.state)
    ):
        mail_totals[tuple(key)][state] += count
    for key, states in mail_totals.items():
        row = stratum(key)
        row.mails_sent = states.get("sent", 0)
        row.mails_failed = sum(states.get(s, 0) for s in ("failed", "bounced", "uncertain"))
    rows = sorted(strata.values(), key=lambda r: (r.municipality, r.group, r.unit or ""))
    if by_unit:
        _hide_small_units(rows, round_.min_cell_size)
    return rows


def _hide_small_units(rows: list[StratumRates], minimum: int) -> None:
    """A unit of one shows whether that person answered. Within a stratum, hide every unit
    with fewer than `minimum` invited and, when that leaves a single hidden unit, the
    smallest other one as well: the stratum's own row would give the hidden one back by
    subtraction. The invited counts stay (the admin holds the list anyway)."""
    by_stratum: dict[tuple[str, str], list[StratumRates]] = defaultdict(list)
    for row in rows:
        by_stratum[(row.municipality, row.group)].append(row)
    for units in by_stratum.values():
        if len(units) < 2:
            continue
        small = [u for u in units if u.invited < minimum]
        if len(small) == 1:
            others = sorted((u for u in units if u is not small[0]), key=lambda u: u.invited)
            small.append(others[0])
        for unit in small:
            unit.hide()
