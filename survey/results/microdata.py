"""The researcher's page: a closed round's anonymous microdata, its codebook and invited counts.

Researchers and admins only (a chief gets the report workbook, never microdata). Free text
goes through a second step: the page warns, masks names, numbers and addresses, shows how
many of each it masked and a sample, and only then offers the file. The file is written by a
background job that a page follows (:mod:`survey.results.export_pages`); the export itself,
and its log, is :func:`survey.results.microdata_export.export`, which the CLI calls too.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import abort, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from exports import codebook as codebooks
from exports import writers
from exports.redaction import KIND_LABELS, parse_names
from survey import db
from survey.forms import StaffForm
from survey.i18n import current_language
from survey.models import Round
from survey.results import bp
from survey.results.export_pages import researchers, start_export
from survey.results.microdata_export import ExportRefused, exportable_rounds, prepare

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
    if form.free_text.data and form.confirmed.data != "yes":
        try:
            prepared = prepare(db.session(), round_, **options)
        except ExportRefused as refused:
            return render_template("results/microdata.html", form=form, error=refused.message)
        form.confirmed.data = "yes"
        return render_template("results/microdata_preview.html", form=form,
                               round=round_, redaction=prepared.redaction,
                               kinds=KIND_LABELS, lang=current_language())
    return start_export(round_, file_format=form.file_format.data, **options)


def _closed_round(round_id: int) -> Round:
    round_ = db.session().get(Round, round_id)
    if round_ is None or round_.state != "closed":
        abort(404)
    return round_


@bp.get("/mikrodata/<int:round_id>/kodbok")
@researchers
def codebook(round_id: int):
    """The codebook of the round's export (no answers in it): ``?as=md`` for Markdown,
    ``?lang=en`` in English."""
    round_ = _closed_round(round_id)
    lang = "en" if request.args.get("lang") == "en" else "sv"
    extension = "md" if request.args.get("as") == "md" else "xlsx"
    prepared = prepare(db.session(), round_, lang=lang)
    name = f"kodbok-omgang-{round_.id}.{extension}"
    if extension == "md":
        return send_file(io.BytesIO(codebooks.markdown(prepared).encode()),
                         mimetype="text/markdown; charset=utf-8", as_attachment=True,
                         download_name=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        codebooks.write_xlsx(prepared, path)
        content = io.BytesIO(path.read_bytes())
    return send_file(content, mimetype=writers.MEDIA_TYPES["xlsx"], as_attachment=True,
                     download_name=name)


@bp.get("/mikrodata/<int:round_id>/inbjudna.csv")
@researchers
def invited_counts(round_id: int):
    """Invited per stratum, as `paverkan stats --invited` reads them."""
    round_ = _closed_round(round_id)
    prepared = prepare(db.session(), round_)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inbjudna.csv"
        writers.write_invited(prepared, path)
        content = io.BytesIO(path.read_bytes())
    return send_file(content, mimetype=writers.MEDIA_TYPES["csv"], as_attachment=True,
                     download_name=f"inbjudna-omgang-{round_.id}.csv")


@bp.get("/mikrodata/<int:round_id>/formular.json")
@researchers
def definition(round_id: int):
    """The round's frozen questionnaire, for `paverkan stats --questionnaire`."""
    round_ = _closed_round(round_id)
    return send_file(io.BytesIO(round_.definition.encode()), mimetype="application/json",
                     as_attachment=True, download_name=f"formular-omgang-{round_.id}.json")
