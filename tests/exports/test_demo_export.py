"""A newcomer runs `make demo`, logs in as the printed researcher and exports the previous
year's closed round from the page and from the command line."""

from __future__ import annotations

import datetime as dt

import pyreadstat

from survey import db, demo_history
from survey.demo import READERS, build, reader_password
from tests.conftest import PaverkanRunner
from tests.exports.conftest import download_when_ready
from tests.results.test_demo_history import SMALL


def test_the_demos_closed_round_exports_from_the_page_and_the_cli(tmp_path):
    app, password, _link = build(tmp_path / "demo")
    try:
        with app.app_context():
            round_ = demo_history.seed_closed_round(db.session(), dt.date.today(), strata=SMALL)
            round_id = round_.id
        email = dict((role, mail) for role, mail in READERS)["researcher"]
        client = app.test_client()
        login = client.get("/login")
        token = login.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/login", data={"email": email, "csrf_token": token,
                                           "password": reader_password(password, "researcher")
                                           }).status_code == 302
        page = client.get("/resultat/mikrodata")
        assert page.status_code == 200 and "(demo, stängd)" in page.text
        token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        started = client.post("/resultat/mikrodata", data={
            "csrf_token": token, "round": round_id, "file_format": "sav", "lang": "sv"})
        _page, data = download_when_ready(client, started.location)
        (tmp_path / "page.sav").write_bytes(data)
        frame, meta = pyreadstat.read_sav(str(tmp_path / "page.sav"), user_missing=True)
        # Norrköping's three elected officials are a stratum below the minimum: left out.
        assert len(frame) == 75
        assert not ((frame["municipality"] == "Norrköping")
                    & (frame["group"] == "förtroendevald")).any()
        assert any("Utelämnade strata: Norrköping / förtroendevald" in n for n in meta.notes)

        result = PaverkanRunner(app).invoke(args=[
            "export", "microdata", "--round", str(round_id), "--format", "dta",
            "--out", str(tmp_path / "cli.dta")])
        assert result.exit_code == 0, result.output
        assert "75 responses" in result.output
        assert "Strata left out: Norrköping / förtroendevald" in result.output
        frame, _meta = pyreadstat.read_dta(str(tmp_path / "cli.dta"))
        assert len(frame) == 75
    finally:
        db.database(app).engine.dispose()
