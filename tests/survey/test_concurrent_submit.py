"""A double click on "Skicka", or one link sent from two browsers at the same moment, against
gunicorn: the two requests reach the database together (on PostgreSQL the second insert
meets the first one's unique marker), and both end on the thanks page, also when the second
carries (one browser) the session the first submit had already ended; never in a 500, and
the link counts once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.admin.live import Respondent, prepare, serving
from tests.admin.test_close_under_load import DATABASES, _count, _database

PAIRS = 30


def _press(respondent: Respondent, together: threading.Barrier) -> str:
    together.wait()
    return respondent.submit()


@pytest.mark.parametrize("kind", DATABASES)
def test_two_simultaneous_submits_of_one_link_end_like_a_repeat_and_count_once(
    request, tmp_path, kind
):
    with _database(request, tmp_path, kind) as url:
        links = prepare(url, tmp_path / "instance", PAIRS)
        with serving(url, tmp_path / "instance") as server, ThreadPoolExecutor(2) as pool:
            for number, link in enumerate(links):
                first = Respondent(server.base, link)
                # Even: a double click in one browser; odd: the link open in two browsers.
                second = first if number % 2 == 0 else Respondent(server.base, link)
                together = threading.Barrier(2)
                outcomes = list(pool.map(_press, (first, second), (together, together)))
                repeats = {first.submit(), second.submit()}
                assert outcomes == ["acknowledged", "acknowledged"], (number, outcomes)
                assert repeats <= {"acknowledged", "already sent"}, repeats
        assert _count(url, "responses") + _count(url, "submission_pool") == PAIRS
