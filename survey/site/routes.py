from flask import render_template

from survey.site import bp


@bp.get("/tillganglighet")
def accessibility():
    """The tillgänglighetsredogörelse the Swedish accessibility law asks of public services."""
    return render_template("site/accessibility.html")
