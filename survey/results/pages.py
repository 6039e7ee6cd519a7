"""Per fråga, Jämförelse, Över tid and Nationell jämförelse: each reads the view of the query
string (survey/results/routes.py) and the published figures, nothing else."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import yaml
from flask import abort, render_template, request
from flask_babel import gettext as _

from questionnaires import tidy
from questionnaires.model import VariableKind
from survey import db
from survey.i18n import current_language
from survey.instrument import questionnaire_of
from survey.results import bp, charts
from survey.results.changes import describe
from survey.results.figures import figures_of
from survey.results.format import interval, number, percent
from survey.results.labels import HEADLINE, indicator_labels
from survey.results.published import Published
from survey.results.routes import _view, results_roles, share_bar
from survey.results.workbook import earlier_rounds

#: Significance level the one-sentence conclusion uses (after the Holm adjustment).
ALPHA = 0.05
COVARIATES = ("gender", "age_band")


@bp.get("/fraga")
@results_roles
def per_question():
    view = _view()
    if view is None or view.published is None:
        return render_template("results/per_question.html", view=view, sections=[])
    questionnaire = questionnaire_of(view.round)
    lang = current_language()
    covariate = request.args.get("by") or None
    if covariate not in (None, *COVARIATES):
        abort(404)
    indicators = {i.source: i for i in tidy.indicators(questionnaire) if i.source}
    labels = indicator_labels(view.round)
    report = view.published.report
    sections = []
    for page in questionnaire.pages:
        entries = []
        for question in page.questions:
            for variable in question.variables:
                indicator = indicators.get(variable.name)
                asked = str(variable.asked_if) if variable.asked_if is not None else None
                if indicator is not None and indicator.name in report["items"]:
                    entries.append(("binary", indicator.name, labels[indicator.name], asked,
                                    None))
                elif variable.kind is VariableKind.ORDINAL and variable.name in report.get(
                        "ordinal", {}):
                    levels = [getattr(o.label, lang) for o in variable.options if o.substantive]
                    entries.append(("ordinal", variable.name,
                                    variable.label.render(lang, view.round.reference_year),
                                    asked, levels))
        if entries:
            sections.append((page.id, page.title.render(lang, view.round.reference_year),
                             entries))
    titles = [(page_id, title) for page_id, title, _entries in sections]
    chosen = request.args.get("section") or titles[0][0]
    if chosen not in dict(titles):
        abort(404)
    shown = [(title, entries) for page_id, title, entries in sections if page_id == chosen]
    levels = report["meta"].get({"gender": "genders", "age_band": "age_bands"}.get(
        covariate, ""), []) if covariate else []
    return render_template("results/per_question.html", view=view, sections=shown,
                           titles=titles, chosen=chosen, covariate=covariate,
                           levels=levels)


def conclusion(published: Published, item: str, label: str, other: str) -> str:
    """One sentence a chief can read aloud."""
    reference = published.meta["reference_municipality"]
    found = published.comparison(item, other)
    difference = found["difference"] if found else None
    if difference is None or difference["difference"] is None:
        return _("%(label)s: not compared, because a municipality has too few responses to "
                 "this question.", label=label)
    adjusted = (published.adjusted(item, other) or {}).get("chisq_p", {}).get("holm")
    values = {"label": label, "reference": reference, "other": other,
              "share_a": percent(difference["share_first"]),
              "share_b": percent(difference["share_second"]),
              "difference": number(100 * abs(difference["difference"]), 1),
              "interval": interval(difference["newcombe_lower"], difference["newcombe_upper"])}
    if adjusted is not None and adjusted < ALPHA:
        return _("%(label)s: %(reference)s %(share_a)s, %(other)s %(share_b)s. The difference of "
                 "%(difference)s percentage points (95 %% interval %(interval)s) is larger than "
                 "chance explains, also allowing for all the comparisons made.", **values)
    return _("%(label)s: %(reference)s %(share_a)s, %(other)s %(share_b)s. The difference of "
             "%(difference)s percentage points (95 %% interval %(interval)s) may be chance.",
             **values)


@bp.get("/jamforelse")
@results_roles
def comparison():
    view = _view()
    rows = []
    if view is not None and view.published is not None:
        labels = indicator_labels(view.round)
        published = view.published
        reference = published.meta["reference_municipality"]
        wanted = request.args.get("item") or None
        if wanted is not None and wanted not in published.report["items"]:
            abort(404)
        items = [wanted] if wanted else [i for i in HEADLINE if i in published.report["items"]]
        others = [m for m in published.meta["municipalities"] if m != reference]
        for item in items:
            for other in others:
                logistic = published.report["items"][item]["logistic"]
                term = next((c for c in logistic.get("coefficients") or []
                             if c["variable"] == "municipality" and c["level"] == other), None)
                rows.append({
                    "item": item, "label": labels[item], "other": other,
                    "sentence": conclusion(published, item, labels[item], other),
                    "found": published.comparison(item, other),
                    "adjusted": published.adjusted(item, other),
                    "logistic": logistic, "odds": _odds_ratio(term),
                })
        choices = [(i, labels.get(i, i)) for i in published.report["items"]]
    else:
        choices = []
    return render_template("results/comparison.html", view=view, rows=rows, choices=choices,
                           item=request.args.get("item", ""))


def _odds_ratio(term: dict | None) -> tuple[float, float, float] | None:
    """(odds ratio, lower, upper) of a model term; its Wald limits are on the log scale."""
    if not term or term.get("odds_ratio") is None or term.get("wald_lower") is None:
        return None
    return term["odds_ratio"], math.exp(term["wald_lower"]), math.exp(term["wald_upper"])


@bp.get("/over-tid")
@results_roles
def over_time():
    view = _view()
    series, left_out = [], []
    if view is not None and view.published is not None:
        session = db.session()
        comparable, left_out = earlier_rounds(session, view.round)
        rounds = []
        for other in comparable:
            found = figures_of(session, other).report
            if found is not None:
                rounds.append((other, Published(found)))
        rounds.append((view.round, view.published))
        labels = indicator_labels(view.round)
        for item in HEADLINE:
            if item not in view.published.report["items"]:
                continue
            lines = []
            for round_, published in rounds:
                for municipality in view.municipalities:
                    lines.append((round_, municipality, published.share(
                        item, municipality=municipality, group=view.group) if view.group
                        else published.share(item, municipality=municipality)))
            series.append((item, labels[item], lines, len(rounds) > 1))
    # "no earlier round with the same questionnaire" is untrue beside one still open
    alone = len(series) > 0 and not series[0][3] and all(other.changes for other in left_out)
    return render_template("results/over_time.html", view=view, series=series,
                           left_out=left_out, alone=alone, describe_change=describe)


@cache
def national_reference() -> list[dict]:
    """The published national figures (survey/results/national_reference.yaml)."""
    path = Path(__file__).with_name("national_reference.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@bp.get("/nationell")
@results_roles
def national():
    view = _view()
    entries = []
    if view is not None and view.published is not None:
        labels = indicator_labels(view.round)
        year = view.round.reference_year
        by_indicator: dict[str, list[dict]] = {}
        for entry in national_reference():
            by_indicator.setdefault(entry["indicator"], []).append(entry)
        for item, references in by_indicator.items():
            if item not in view.published.report["items"]:
                continue
            reference = min(references, key=lambda e: (abs(e["year"] - year), -e["year"]))
            bars = [share_bar(m, view.published.share(item, municipality=m,
                                                      group=reference["group"]))
                    for m in view.municipalities]
            mark = _("National %(year)s: %(share)s", year=reference["year"],
                     share=percent(reference["share"]))
            chart = charts.bar_chart(
                labels[item],
                _("Share among %(group)s with 95 %% interval, beside the national figure. "
                  "%(figures)s. %(mark)s.", group=reference["group"], mark=mark,
                  figures="; ".join(f"{b.label}: {b.text}" for b in bars)),
                bars, reference=(reference["share"], mark))
            entries.append({"item": item, "label": labels[item], "reference": reference,
                            "same_year": reference["year"] == year, "bars": bars,
                            "chart": chart})
    return render_template("results/national.html", view=view, entries=entries)
