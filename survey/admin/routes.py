"""Administration pages: parse the request, call an operation, render. No writes here."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import questionnaires
from survey import db, jobs
from survey.admin import bp, mailtext, operations
from survey.admin.forms import (
    ActionForm,
    CloseForm,
    ConfirmImportForm,
    DatesForm,
    FindRecipientForm,
    IdentityForm,
    MailTextForm,
    RecipientForm,
    RoundForm,
    UploadForm,
    lines,
)
from survey.admin.job_pages import start_job
from survey.admin.jobs import TASK_NAMES
from survey.admin.models import DELIVERY_STATES, MAIL_KINDS, Mailing
from survey.auth.decorators import role_required
from survey.instrument import minutes
from survey.models import Round
from survey.recipients import COLUMN_LABELS, PROBLEM_MESSAGES, RecipientFileError

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
        "task_name": lambda kind: TASK_NAMES[kind],
    }


@bp.url_value_preprocessor
def _allow_recipient_lists(endpoint, _values):
    """Recipient lists are larger than any other form the app takes. This runs before every
    before_request function, so also before the CSRF check reads the form."""
    if endpoint == "admin.recipients":
        request.max_content_length = current_app.config["RECIPIENT_UPLOAD_MAX_BYTES"]


@bp.errorhandler(413)
def _too_large(_error):
    if request.endpoint == "admin.new_round":
        return render_template(
            "site/error.html",
            title=_("The file is too large"),
            message=_("A questionnaire definition is a text file of some tens of kilobytes; "
                      "this one is larger than the page accepts (%(limit)s kB). Go back and "
                      "choose the right file.",
                      limit=current_app.config["MAX_CONTENT_LENGTH"] // 1024),
        ), 413
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
                definition=form.questionnaire or questionnaires.DEFAULT_DEFINITION,
            )
        except operations.OperationError as problem:
            error = problem.message
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
        job=jobs.active(session, round_.id),
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
    form = DatesForm(round_)
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
                upload = operations.store_upload(round_, data, form.file.data.filename or "")
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
    return start_job("import", round_, upload=form.upload.data, sheet=form.sheet.data or None)


@bp.route("/rounds/<int:round_id>/recipient", methods=["GET", "POST"])
@admin_only
def recipient(round_id: int):
    """Find one recipient by address, then correct or remove them. The page shows what the
    admin's list holds and nothing of the person's state (docs/anonymity.md)."""
    round_ = _round(round_id)
    find = FindRecipientForm()
    form = error = None
    if round_.state == "closed":
        error = _("A closed round's recipients can no longer be changed.")
    elif "current" in request.form:
        form = RecipientForm.for_round(round_)
        if form.validate_on_submit():
            removing = "remove" in request.form
            try:
                new_link = operations.change_recipient(
                    db.session(), round_, form.current.data,
                    correction=None if removing else form.correction())
            except operations.OperationError as problem:
                error = problem.message
            else:
                if removing:
                    flash(_("%(email)s is removed from the round.", email=form.current.data))
                elif new_link:
                    flash(_("The recipient is corrected. The link sent to the old address no "
                            "longer works; the next mail carries a new one."))
                else:
                    flash(_("The recipient is corrected."))
                return redirect(url_for("admin.recipient", round_id=round_id))
    elif find.validate_on_submit():
        found = operations.find_recipient(db.session(), round_, find.email.data)
        if found is None:
            error = _("Nobody in this round has the address %(email)s.",
                      email=find.email.data.strip())
        else:
            form = RecipientForm.for_round(round_, formdata=None, current=found.email,
                                           email=found.email, municipality=found.municipality,
                                           group=found.group, unit=found.unit or "")
    return render_template("admin/recipient.html", round=round_, find=find, form=form,
                           error=error)


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


@bp.route("/rounds/<int:round_id>/send/<kind>", methods=["GET", "POST"])
@admin_only
def send(round_id: int, kind: str):
    """The confirmation states how many mails go out; confirming starts the send-out as a
    job (it may take hours with a real mail server) and shows its page."""
    round_ = _round(round_id)
    if kind not in MAIL_KINDS:
        abort(404)
    if round_.state != "open":
        flash(_("Mail can only be sent while the round is open."))
        return redirect(url_for("admin.round", round_id=round_id))
    number = request.values.get("number", type=int) if kind == "reminder" else None
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("admin/send.html", round=round_, kind=kind, number=number,
                               form=form, count=operations.mail_count(db.session(), round_, kind))
    try:
        mailing = operations.start_mailing(db.session(), round_, kind, number)
    except operations.OperationError as problem:
        flash(str(problem.message))
        return redirect(url_for("admin.round", round_id=round_id))
    return start_job("send", round_, mailing=mailing.id)


@bp.post("/rounds/<int:round_id>/mailings/<int:mailing_id>/resend")
@admin_only
def resend_uncertain(round_id: int, mailing_id: int):
    """The admin's decision that an uncertain mail may arrive twice rather than not at all."""
    round_ = _round(round_id)
    mailing = db.session().get(Mailing, mailing_id)
    if mailing is None or mailing.round_id != round_.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.round", round_id=round_id))
    return start_job("send", round_, mailing=mailing.id, resend_uncertain=True)


@bp.route("/rounds/<int:round_id>/close", methods=["GET", "POST"])
@admin_only
def close(round_id: int):
    """Confirming starts the close as a job. A closed round whose close did not finish (its
    worker was killed after the commit) offers to run the erasure to its end."""
    round_ = _round(round_id)
    form = CloseForm()
    last = jobs.latest(db.session(), round_.id, "close")
    unfinished = round_.state == "closed" and last is not None and last.state != "done"
    if round_.state == "closed" and not unfinished:
        flash(_("The round is already closed."))
        return redirect(url_for("admin.round", round_id=round_id))
    if form.validate_on_submit():
        return start_job("close", round_)
    return render_template("admin/close.html", round=round_, form=form, unfinished=unfinished,
                           summary=operations.erasure_summary(db.session(), round_))
