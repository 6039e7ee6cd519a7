"""Results pages: parse the query string, read the round's figures, render. No writes.

Every figure comes from :class:`survey.results.published.Published` (the disclosure plan
applied); the query string holds the whole view (round, municipality, group), so a view can
be bookmarked and sent, and no page needs JavaScript.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Response, abort, render_template, request, send_file
from flask_babel import gettext as _
from sqlalchemy import select

from survey import db
from survey.auth.decorators import role_required
from survey.i18n import current_language
from survey.models import Round
from survey.results import bp, charts, workbook
from survey.results.figures import Computing, RoundFigures, figures_of
from survey.results.format import interval, number, p_value, percent
from survey.results.labels import HEADLINE, indicator_labels
from survey.results.published import Published

results_roles = role_required("chief", "researcher", "admin")

@dataclass
class View:
    """The round and filters of the query string, and the round's figures."""

    round: Round
    rounds: list[Round]
    municipality: str | None
    group: str | None
    figures: RoundFigures
    published: Published | None

    @property
    def municipalities(self) -> list[str]:
        chosen = [self.municipality] if self.municipality else self.round.municipalities
        if self.published is None:
            return chosen
        return [m for m in chosen if m in self.published.meta["municipalities"]]

    @property
    def groups(self) -> list[str]:
        chosen = [self.group] if self.group else self.round.groups
        if self.published is None:
            return chosen
        return [g for g in chosen if g in self.published.meta["groups"]]

    def args(self, **changes) -> dict:
        """The query string of this view with ``changes`` (for links between pages)."""
        values = {"round": self.round.id, "municipality": self.municipality, "group": self.group}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def _view() -> View:
    session = db.session()
    rounds = list(session.scalars(select(Round).where(Round.state != "draft")
                                  .order_by(Round.opens_on.desc(), Round.id.desc())))
    wanted = request.args.get("round", "")
    if wanted:
        round_ = next((r for r in rounds if str(r.id) == wanted), None)
        if round_ is None:
            abort(404)
    elif rounds:
        round_ = rounds[0]
    else:
        round_ = None
    if round_ is None:
        return None
    municipality = request.args.get("municipality") or None
    group = request.args.get("group") or None
    if municipality not in (None, *round_.municipalities) or group not in (None, *round_.groups):
        abort(404)
    try:
        figures = figures_of(session, round_, wait=False)
    except Computing:
        abort(Response(render_template("results/computing.html", round=round_), 200))
    published = Published(figures.report) if figures.report is not None else None
    return View(round_, rounds, municipality, group, figures, published)


def share_bar(label: str, figure: dict | None) -> charts.Bar:
    if figure is None or figure["share"] is None:
        return charts.Bar(label, None, text="–")
    low, high = figure["wilson_lower"], figure["wilson_upper"]
    return charts.Bar(label, figure["share"], low, high,
                      f"{percent(figure['share'])} ({interval(low, high)})")


def _chart(view: View, item: str, label: str):
    p = view.published
    bars = [share_bar(f"{m}, {g}", p.share(item, municipality=m, group=g))
            for m in view.municipalities for g in view.groups]
    described = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return charts.bar_chart(label, _("Share with 95 %% confidence interval. %(figures)s",
                                     figures=described), bars)


@bp.context_processor
def _formats():
    return {"percent": percent, "interval": interval, "number": number, "p_value": p_value}


@bp.get("/")
@results_roles
def overview():
    view = _view()
    if view is None:
        return render_template("results/no_rounds.html")
    headline = []
    if view.published is not None:
        labels = indicator_labels(view.round)
        for item in HEADLINE:
            if item in view.published.report["items"]:
                headline.append((item, labels[item], _chart(view, item, labels[item])))
    return render_template("results/overview.html", view=view, headline=headline)


@bp.get("/rapport.xlsx")
@results_roles
def report_workbook():
    """The round's report workbook (the same figures as the pages, in their language)."""
    view = _view()
    if view is None or view.published is None:
        abort(404)
    buffer = io.BytesIO()
    workbook.write(db.session(), view.round, buffer, current_language())
    buffer.seek(0)
    # Named in the reader's language too, in ASCII (each translation keeps to it): a name that
    # was not would still arrive whole, as Werkzeug then sends an ASCII filename and RFC
    # 6266's filename* (UTF-8).
    name = _("paverkan-report-%(year)s-%(round)s.xlsx", year=view.round.reference_year,
             round=view.round.id)
    return send_file(buffer, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
