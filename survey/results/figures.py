"""The figures of a round: computed by ``analysis.report.build``, once, and kept.

A round's figures are kept as JSON under the instance folder, keyed by everything they
depend on: the round, its state, how many responses it holds, its questionnaire, its
minimum cell size and the version of the statistics' code (a hash of the ``analysis`` and
``questionnaires`` sources). A closed round is therefore computed once and again only when
the statistics change; an open round again only when a pool has flushed new responses.

An open round publishes only strata that have reached the round's minimum number of
responses: the others are left out of the computation altogether and named on the page.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
import questionnaires
from analysis import report
from survey import round_data
from survey.models import Response, Round


@dataclass(frozen=True)
class RoundFigures:
    """``report`` is ``analysis.report.build``'s dictionary (None when nothing can be shown
    yet); ``withheld`` lists (municipality, group, responses) of the strata an open round
    leaves out; ``extracted_on`` is the ISO date the responses were read."""

    report: dict[str, Any] | None
    withheld: list[tuple[str, str, int]] = field(default_factory=list)
    extracted_on: str = ""
    #: why ``report`` is None, for the page
    reason: str = ""


@cache
def statistics_version() -> str:
    """A hash of the statistics' source code: cached figures older than it are recomputed."""
    digest = hashlib.sha256()
    for package in (analysis, questionnaires):
        folder = Path(package.__file__).parent
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_key(round_: Round, responses: int) -> str:
    parts = [statistics_version(), round_.state, str(responses), round_.fingerprint,
             str(round_.min_cell_size)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _cache_folder() -> Path:
    return Path(current_app.instance_path) / "results"


#: Rounds with at least this many responses are computed in a background thread (a page
#: says so), smaller ones within the request. ``RESULTS_BACKGROUND_FROM`` in the app config.
BACKGROUND_FROM = 200
#: A computation that left its lock this long ago has died; the next view starts it again.
STALE_LOCK_SECONDS = 3600


class Computing(Exception):
    """The figures are being computed in the background; the page asks to come back."""


def _cache_path(db: Session, round_: Round) -> tuple[Path, int]:
    responses = db.scalar(select(func.count()).where(Response.round_id == round_.id))
    return _cache_folder() / f"round-{round_.id}-{_cache_key(round_, responses)}.json", responses


def _cached(path: Path) -> RoundFigures | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return RoundFigures(stored["report"], [tuple(w) for w in stored["withheld"]],
                        stored["extracted_on"], stored["reason"])


def figures_of(db: Session, round_: Round, wait: bool = True) -> RoundFigures:
    """The round's figures, from the cache when it holds them for this state of the round.

    Not cached yet: computed here, or with ``wait=False`` (a web page) for a round of
    ``RESULTS_BACKGROUND_FROM`` responses or more, in a background thread while
    :class:`Computing` tells the page to say so. A lock file beside the cache keeps two
    workers from computing the same figures; one left by a process that died goes stale.
    """
    path, responses = _cache_path(db, round_)
    found = _cached(path)
    if found is not None:
        return found
    threshold = current_app.config.get("RESULTS_BACKGROUND_FROM", BACKGROUND_FROM)
    if not wait and responses >= threshold:
        _start_background(current_app._get_current_object(), round_.id, path)
        raise Computing
    figures = compute(round_data.read(db, round_), open_round=round_.state != "closed")
    _store(path, figures)
    return figures


def _start_background(app, round_id: int, path: Path) -> None:
    lock = path.with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - lock.stat().st_mtime > STALE_LOCK_SECONDS:
            lock.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        lock.touch(exist_ok=False)
    except FileExistsError:
        return  # another request (or worker) is computing these figures

    def run() -> None:
        from survey import db

        try:
            with app.app_context():
                session = db.session()
                try:
                    figures_of(session, session.get(Round, round_id))
                finally:
                    session.close()
        finally:
            lock.unlink(missing_ok=True)

    threading.Thread(target=run, name=f"results-round-{round_id}", daemon=True).start()


def compute(data: round_data.RoundData, open_round: bool) -> RoundFigures:
    """``analysis.report.build`` on the round's responses (an open round: only the strata
    that reached the minimum)."""
    extracted = data.extracted_on.isoformat()
    withheld: list[tuple[str, str, int]] = []
    if open_round:
        counts = data.responses_by_stratum()
        strata = [(m, g) for m, g in zip(data.invited["municipality"], data.invited["group"],
                                         strict=True)]
        withheld = [(m, g, counts.get((m, g), 0)) for m, g in strata
                    if counts.get((m, g), 0) < data.min_cell]
        data = data.only_strata({s for s in strata if counts.get(s, 0) >= data.min_cell})
    if data.responses.empty:
        return RoundFigures(None, withheld, extracted, "no_responses")
    if data.invited["municipality"].nunique() < 2:
        return RoundFigures(None, withheld, extracted, "one_municipality")
    try:
        figures = report.build(data.survey_data(), min_cell=data.min_cell)
    except RuntimeError:
        # The disclosure plan found no safe way to publish (an analysis bug): nothing is
        # shown rather than something unprotected, and a person is told.
        current_app.logger.exception("round %s: the disclosure plan failed", data.round_id)
        return RoundFigures(None, withheld, extracted, "disclosure_failed")
    return RoundFigures(figures, withheld, extracted)


def _store(path: Path, figures: RoundFigures) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a file; older
    figures of the same round are removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.json"):
        old.unlink(missing_ok=True)
    text = json.dumps({"report": figures.report, "withheld": figures.withheld,
                       "extracted_on": figures.extracted_on, "reason": figures.reason},
                      ensure_ascii=False, allow_nan=False)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)
