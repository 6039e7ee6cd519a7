from flask import render_template

from survey.site import bp


@bp.get("/tillganglighet")
def accessibility():
    """The tillgänglighetsredogörelse the Swedish accessibility law asks of public services."""
    return render_template("site/accessibility.html")


@bp.get("/")
def home():
    """Whoever types the bare address learns where to go instead of meeting a 404."""
    return render_template("site/home.html")
