"""A large round's first results page does not hold the request: it says the figures are
being computed, and they are there on the next visit."""

from __future__ import annotations

import time

from survey import db
from tests.results.conftest import served_round


def test_the_first_view_of_a_large_round_computes_in_the_background(tmp_path):
    app, client, round_id = served_round(tmp_path, "results.sqlite3", "chef@kommun.example.se",
                                         "chief", RESULTS_BACKGROUND_FROM=100)
    first = client.get(f"/resultat/?round={round_id}&lang=en")
    assert first.status_code == 200 and "Results are being computed" in first.text
    for _ in range(300):
        folder = tmp_path / "instance" / "results"
        if list(folder.glob("*.json")) and not list(folder.glob("*.lock")):
            break
        time.sleep(1)
    later = client.get(f"/resultat/?round={round_id}&lang=en")
    assert "Headline indicators" in later.text
    db.database(app).engine.dispose()
