"""The researcher's page: a closed round's anonymous microdata, its codebook and invited counts.

Researchers and admins only (a chief gets the report workbook, never microdata). Free text
goes through a second step: the page warns, masks names, numbers and addresses, shows how
many of each it masked and a sample, and only then offers the file. The file is written by a
background job that a page follows (:mod:`survey.results.export_pages`); the export itself,
and its log, is :func:`survey.results.microdata_export.export`, which the CLI calls too.
The masked preview, the codebook and the invited counts prepare the whole round as well, so
they are such jobs too: no request here prepares a round.
"""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from exports.redaction import parse_names
from survey import db
from survey.forms import StaffForm
from survey.models import Round
from survey.results import bp
from survey.results.export_pages import researchers, start_export
from survey.results.microdata_export import exportable_rounds

FORMAT_LABELS = {
    "csv": _l("CSV (UTF-8, semicolons: Excel, R)"),
    "xlsx": _l("Excel workbook (.xlsx)"),
    "sav": _l("SPSS (.sav)"),
    "dta": _l("Stata (.dta)"),
}


class MicrodataForm(StaffForm):
    round = SelectField(_l("Round"), coerce=int, validators=[DataRequired()])
    file_format = RadioField(_l("Format"), default="csv", validators=[DataRequired()],
                             choices=[SelectChoice(v, label) for v, label in FORMAT_LABELS.items()])
    lang = RadioField(_l("Language of labels"), default="sv", validators=[DataRequired()],
                      choices=[SelectChoice("sv", _l("Swedish")),
                               SelectChoice("en", _l("English"))])
    free_text = BooleanField(_l("Include free-text answers (masked before you get them)"))
    names = TextAreaField(_l("More names to mask, one per line or separated by commas"),
                          validators=[Length(max=5000)])
    #: set by the preview of the masked free text; only then is the file offered
    confirmed = HiddenField()


def _form() -> MicrodataForm:
    form = MicrodataForm()
    form.round.choices = [SelectChoice(r.id, r.title) for r in exportable_rounds(db.session())]
    return form


@bp.route("/mikrodata", methods=["GET", "POST"])
@researchers
def microdata():
    form = _form()
    if not form.round.choices:
        return render_template("results/microdata.html", form=None)
    if not form.validate_on_submit():
        return render_template("results/microdata.html", form=form)
    round_ = db.session().get(Round, form.round.data)
    names = parse_names(form.names.data or "")
    options = {"lang": form.lang.data, "free_text": form.free_text.data, "names": names}
    confirmed = not form.free_text.data or form.confirmed.data == "yes"
    return start_export(round_, file_format=form.file_format.data,
                        product="microdata" if confirmed else "preview", **options)


def _closed_round(round_id: int) -> Round:
    round_ = db.session().get(Round, round_id)
    if round_ is None or round_.state != "closed":
        abort(404)
    return round_


@bp.route("/mikrodata/<int:round_id>/kodbok", methods=["GET", "POST"])
@researchers
def codebook(round_id: int):
    """Make the codebook of the round's export (no answers in it): ``format`` ``md`` for
    Markdown, else Excel; ``lang`` ``en`` in English. A GET (an old link) goes to the page
    whose buttons ask for it."""
    round_ = _closed_round(round_id)
    if request.method == "GET":
        return redirect(url_for("results.microdata"))
    lang = "en" if request.form.get("lang") == "en" else "sv"
    file_format = "md" if request.form.get("format") == "md" else "xlsx"
    return start_export(round_, product="codebook", file_format=file_format, lang=lang,
                        free_text=False, names=[])


@bp.route("/mikrodata/<int:round_id>/inbjudna.csv", methods=["GET", "POST"])
@researchers
def invited_counts(round_id: int):
    """Make the invited counts per stratum, as `paverkan stats --invited` reads them."""
    round_ = _closed_round(round_id)
    if request.method == "GET":
        return redirect(url_for("results.microdata"))
    return start_export(round_, product="invited", file_format="csv", lang="sv",
                        free_text=False, names=[])


@bp.get("/mikrodata/<int:round_id>/formular.json")
@researchers
def definition(round_id: int):
    """The round's frozen questionnaire, for `paverkan stats --questionnaire`."""
    round_ = _closed_round(round_id)
    return send_file(io.BytesIO(round_.definition.encode()), mimetype="application/json",
                     as_attachment=True,
                     download_name=_("questionnaire-round-%(round)s.json", round=round_.id))
