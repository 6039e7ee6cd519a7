"""Administration pages: parse the request, call an operation, render. No writes here."""

from __future__ import annotations

import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from questionnaires import DefinitionError
from survey import db
from survey.admin import bp, mailtext, operations
from survey.admin.forms import (
    ActionForm,
    CloseForm,
    ConfirmImportForm,
    DatesForm,
    IdentityForm,
    MailTextForm,
    RoundForm,
    UploadForm,
    lines,
)
from survey.admin.models import DELIVERY_STATES, MAIL_KINDS, Mailing
from survey.auth.decorators import role_required
from survey.instrument import minutes
from survey.mail import TransportError
from survey.models import Round
from survey.recipients import COLUMN_LABELS, PROBLEM_MESSAGES, RecipientFileError

#: A page sends for at most this long, then offers to continue (the send is resumable).
SEND_BUDGET_SECONDS = 20

admin_only = role_required("admin")

STATE_LABELS = {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed")}
DELIVERY_LABELS = {
    "pending": _l("Waiting"), "sending": _l("Being sent"), "sent": _l("Sent"),
    "failed": _l("Failed"), "bounced": _l("Bounced"), "uncertain": _l("Uncertain"),
}


@bp.context_processor
def _labels():
    return {
        "state_label": lambda state: STATE_LABELS[state],
        "delivery_label": lambda state: DELIVERY_LABELS[state],
        "delivery_states": DELIVERY_STATES,
    }


@bp.url_value_preprocessor
def _allow_recipient_lists(endpoint, _values):
    """Recipient lists are larger than any other form the app takes. This runs before every
    before_request function, so also before the CSRF check reads the form."""
    if endpoint == "admin.recipients":
        request.max_content_length = current_app.config["RECIPIENT_UPLOAD_MAX_BYTES"]


@bp.errorhandler(413)
def _too_large(_error):
    limit = current_app.config["RECIPIENT_UPLOAD_MAX_BYTES"] // (1024 * 1024)
    return render_template(
        "site/error.html",
        title=_("The file is too large"),
        message=_("The largest file the page accepts is %(limit)s MB. Save the list as CSV, "
                  "or split it in two and import each part.", limit=limit),
    ), 413


def _round(round_id: int) -> Round:
    round_ = db.session().get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/")
@admin_only
def index():
    rounds = db.session().query(Round).order_by(Round.opens_on.desc(), Round.title).all()
    return render_template("admin/index.html", rounds=rounds)


@bp.route("/rounds/new", methods=["GET", "POST"])
@admin_only
def new_round():
    form = RoundForm()
    error = None
    if form.validate_on_submit():
        try:
            round_ = operations.create_round(
                db.session(),
                title=form.title.data,
                reference_year=form.reference_year.data,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                municipalities=lines(form.municipalities.data),
                groups=lines(form.groups.data),
                min_cell_size=form.min_cell_size.data,
                identity=form.identity(),
            )
        except operations.OperationError as problem:
            error = problem.message
        except DefinitionError:
            error = _("The questionnaire definition has errors; run `paverkan questionnaire "
                      "check` for details.")
        else:
            flash(_("The round is created as a draft."))
            return redirect(url_for("admin.round", round_id=round_.id))
    return render_template("admin/new_round.html", form=form, error=error)


@bp.get("/rounds/<int:round_id>")
@admin_only
def round(round_id: int):
    round_ = _round(round_id)
    session = db.session()
    rates = operations.response_rates(session, round_)
    by_unit = operations.response_rates(session, round_, by_unit=True)
    has_units = any(r.unit for r in by_unit)
    return render_template(
        "admin/round.html",
        round=round_,
        rates=rates,
        by_unit=by_unit if has_units else [],
        mailings=operations.mailing_overview(session, round_),
        next_reminder=operations.next_reminder(session, round_),
        action=ActionForm(),
    )


@bp.post("/rounds/<int:round_id>/open")
@admin_only
def open_round(round_id: int):
    round_ = _round(round_id)
    if ActionForm().validate_on_submit():
        try:
            operations.open_round(db.session(), round_)
            flash(_("The round is open. Its questionnaire can no longer change."))
        except operations.OperationError as problem:
            flash(str(problem.message))
    return redirect(url_for("admin.round", round_id=round_id))


@bp.route("/rounds/<int:round_id>/dates", methods=["GET", "POST"])
@admin_only
def dates(round_id: int):
    round_ = _round(round_id)
    form = DatesForm(obj=round_)
    error = None
    if form.validate_on_submit():
        try:
            operations.reschedule(db.session(), round_, form.opens_on.data, form.closes_on.data)
        except operations.OperationError as problem:
            error = problem.message
        else:
            flash(_("The dates are changed."))
            return redirect(url_for("admin.round", round_id=round_id))
    return render_template("admin/dates.html", round=round_, form=form, error=error)


@bp.route("/rounds/<int:round_id>/contact", methods=["GET", "POST"])
@admin_only
def identity(round_id: int):
    round_ = _round(round_id)
    form = IdentityForm(obj=round_)
    error = None
    if form.validate_on_submit():
        try:
            operations.set_identity(db.session(), round_, form.identity())
        except operations.OperationError as problem:
            error = problem.message
        else:
            flash(_("The sender, contact and support text are saved."))
            return redirect(url_for("admin.round", round_id=round_id))
    return render_template("admin/identity.html", round=round_, form=form, error=error)


@bp.route("/rounds/<int:round_id>/recipients", methods=["GET", "POST"])
@admin_only
def recipients(round_id: int):
    round_ = _round(round_id)
    form = UploadForm()
    error = report = upload = None
    if round_.state == "closed":
        error = _("A closed round takes no more recipients.")
    elif form.validate_on_submit():
        data = form.file.data.read()
        try:
            report = operations.preview_import(db.session(), round_, data,
                                               form.file.data.filename or "",
                                               form.sheet.data or None)
        except RecipientFileError as problem:
            error = problem.message
        else:
            if report.ok:
                upload = secrets.token_hex(16)
                folder = operations.upload_folder(round_)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / upload).write_bytes(data)
                (folder / f"{upload}.name").write_text(form.file.data.filename or "")
    confirm = ConfirmImportForm(upload=upload, sheet=report.sheet if report else None)
    return render_template("admin/recipients.html", round=round_, form=form, report=report,
                           error=error, confirm=confirm, messages=PROBLEM_MESSAGES,
                           column_labels=COLUMN_LABELS)


@bp.post("/rounds/<int:round_id>/recipients/confirm")
@admin_only
def confirm_import(round_id: int):
    round_ = _round(round_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit() or not form.upload.data.isalnum():
        flash(_("The upload could not be found. Upload the file again."))
        return redirect(url_for("admin.recipients", round_id=round_id))
    path = operations.upload_folder(round_) / form.upload.data
    if not path.is_file():
        flash(_("The upload could not be found. Upload the file again."))
        return redirect(url_for("admin.recipients", round_id=round_id))
    name = path.with_name(f"{path.name}.name").read_text()
    try:
        report = operations.preview_import(db.session(), round_, path.read_bytes(), name,
                                           form.sheet.data or None)
        count = operations.import_recipients(db.session(), round_, report)
    except (RecipientFileError, operations.OperationError) as problem:
        flash(str(problem.message))
        return redirect(url_for("admin.recipients", round_id=round_id))
    finally:
        path.unlink(missing_ok=True)
        path.with_name(f"{path.name}.name").unlink(missing_ok=True)
    flash(_("%(count)s recipients were added.", count=count))
    return redirect(url_for("admin.round", round_id=round_id))


@bp.route("/rounds/<int:round_id>/mail/<kind>", methods=["GET", "POST"])
@admin_only
def mail_texts(round_id: int, kind: str):
    round_ = _round(round_id)
    if kind not in MAIL_KINDS:
        abort(404)
    template = operations.mail_texts(db.session(), round_, kind)
    form = MailTextForm(obj=template)
    error = None
    if form.validate_on_submit():
        texts = mailtext.Texts(form.subject_sv.data, form.subject_en.data,
                               form.body_sv.data, form.body_en.data)
        problems = mailtext.problems(texts)
        if problems:
            error = _("Check the placeholders: %(list)s. Allowed: %(allowed)s; {link} and "
                      "{optout} must be in both texts and not in a subject.",
                      list=", ".join(problems),
                      allowed=", ".join(f"{{{p}}}" for p in mailtext.PLACEHOLDERS))
        else:
            try:
                operations.save_mail_texts(db.session(), round_, kind, texts)
            except operations.OperationError as problem:
                error = problem.message
            else:
                flash(_("The text is saved."))
                return redirect(url_for("admin.mail_texts", round_id=round_id, kind=kind))
    preview = mailtext.compose(
        mailtext.Texts(template.subject_sv, template.subject_en, template.body_sv,
                       template.body_en),
        identity=mailtext.identity_of(round_, current_app.config["MAIL_FROM"], minutes(round_)),
        to="mottagare@example.se", title=round_.title,
        closes_on=round_.closes_on.isoformat(), link="https://…/s/EXEMPEL",
        optout="https://…/s/EXEMPEL/avsta",
    )
    return render_template("admin/mail_texts.html", round=round_, kind=kind, form=form,
                           error=error, preview=preview,
                           placeholders=mailtext.PLACEHOLDERS)


@bp.post("/rounds/<int:round_id>/send/<kind>")
@admin_only
def send(round_id: int, kind: str):
    round_ = _round(round_id)
    if kind not in MAIL_KINDS:
        abort(404)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.round", round_id=round_id))
    number = request.form.get("number", type=int) if kind == "reminder" else None
    try:
        mailing = operations.start_mailing(db.session(), round_, kind, number)
    except operations.OperationError as problem:
        flash(str(problem.message))
    else:
        _send_and_report(mailing)
    return redirect(url_for("admin.round", round_id=round_id))


def _send_and_report(mailing, resend_uncertain: bool = False) -> None:
    try:
        result = operations.send_mailing(db.session(), mailing, budget=SEND_BUDGET_SECONDS,
                                         resend_uncertain=resend_uncertain)
    except operations.OperationError as problem:
        flash(str(problem.message))
    except TransportError as problem:
        current_app.logger.warning("Mail transport failed: %s", problem)
        flash(_("The mail server could not be reached or refused the login. Nothing was "
                "marked as sent; try again later."))
    else:
        flash(_("Sent: %(sent)s. Failed, to retry: %(failed)s. Bounced: %(bounced)s. "
                "Uncertain: %(uncertain)s.", sent=result.sent, failed=result.failed,
                bounced=result.bounced, uncertain=result.uncertain))
        if result.remaining:
            flash(_("%(n)s mails are left. Press the button again to continue.",
                    n=result.remaining))


@bp.post("/rounds/<int:round_id>/mailings/<int:mailing_id>/resend")
@admin_only
def resend_uncertain(round_id: int, mailing_id: int):
    """The admin's decision that an uncertain mail may arrive twice rather than not at all."""
    round_ = _round(round_id)
    mailing = db.session().get(Mailing, mailing_id)
    if mailing is None or mailing.round_id != round_.id:
        abort(404)
    if ActionForm().validate_on_submit():
        _send_and_report(mailing, resend_uncertain=True)
    return redirect(url_for("admin.round", round_id=round_id))


@bp.route("/rounds/<int:round_id>/close", methods=["GET", "POST"])
@admin_only
def close(round_id: int):
    round_ = _round(round_id)
    form = CloseForm()
    error = None
    if round_.state == "closed":
        flash(_("The round is already closed."))
        return redirect(url_for("admin.round", round_id=round_id))
    if form.validate_on_submit():
        try:
            operations.close_round(db.session(), round_)
        except operations.OperationError as problem:
            error = problem.message
        else:
            flash(_("The round is closed and the addresses are erased."))
            return redirect(url_for("admin.round", round_id=round_id))
    return render_template("admin/close.html", round=round_, form=form, error=error,
                           summary=operations.erasure_summary(db.session(), round_))
