"""The export log for admins: who took which round's microdata out, when, in which format."""

from __future__ import annotations

from flask import render_template

from survey import db
from survey.admin import bp
from survey.auth.decorators import role_required
from survey.results.microdata_export import export_log as logged_exports


@bp.get("/exporter")
@role_required("admin")
def export_log():
    return render_template("admin/export_log.html", exports=logged_exports(db.session()))
