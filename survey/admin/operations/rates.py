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
    #: People without a unit counted in this unit's row (too few for a row of their own).
    without_unit: int = 0

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
        rows = _protect_units(rows, round_.min_cell_size)
    return rows


_COUNTS = ("invited", "responded", "declined", "bounced", "mails_sent", "mails_failed")


def _protect_units(rows: list[StratumRates], minimum: int) -> list[StratumRates]:
    """Per stratum, the unit rows with no count that names a few people, even by subtraction
    from the stratum's own row (shown above the unit table).

    A few people without a unit (an earlier list, a unit emptied by corrections) are no unit:
    they are counted inside the stratum's largest unit, whose row says so, instead of being
    a row of their own that would need a second, perhaps huge, unit hidden beside it. Then
    units with fewer than `minimum` invited are hidden, and more units (smallest first)
    until at least two are hidden and together hold `minimum` invited: what the stratum's
    row gives back by subtraction is only that union. Invited counts stay (the admin holds
    the list anyway)."""
    by_stratum: dict[tuple[str, str], list[StratumRates]] = defaultdict(list)
    for row in rows:
        by_stratum[(row.municipality, row.group)].append(row)
    kept = []
    for units in by_stratum.values():
        named = [u for u in units if u.unit]
        remainder = next((u for u in units if not u.unit), None)
        if remainder and named and remainder.invited < minimum:
            _merge_into(max(named, key=lambda u: u.invited), remainder)
            units = named
        kept.extend(units)
        if len(units) < 2:
            continue
        hidden = [u for u in units if u.invited < minimum]
        shown = sorted((u for u in units if u.invited >= minimum), key=lambda u: u.invited)
        while hidden and shown and (len(hidden) < 2
                                    or sum(u.invited for u in hidden) < minimum):
            hidden.append(shown.pop(0))
        for unit in hidden:
            unit.hide()
    return kept


def _merge_into(unit: StratumRates, remainder: StratumRates) -> None:
    for name in _COUNTS:
        setattr(unit, name, getattr(unit, name) + getattr(remainder, name))
    unit.without_unit = remainder.invited
