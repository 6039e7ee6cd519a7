from __future__ import annotations

import time

import pytest

import questionnaires
from exports import microdata
from tests.admin.conftest import login  # noqa: F401  (the staff login fixture)
from tests.exports import simulated

STRATA = {(m, g): 80 for m in simulated.MUNICIPALITIES for g in simulated.GROUPS}


@pytest.fixture(scope="session")
def instrument() -> questionnaires.Questionnaire:
    return questionnaires.load(questionnaires.DEFAULT_DEFINITION)


@pytest.fixture(scope="session")
def raw(instrument):
    """Stored answers of a simulated round and its invited counts."""
    return simulated.responses(instrument, STRATA, seed=7), simulated.invited(STRATA)


@pytest.fixture(scope="session")
def exported(instrument, raw):
    responses, invited = raw
    return microdata.prepare(responses, invited, instrument, title="Påverkan 2026",
                             min_cell=5, year=2026)


def download_when_ready(client, page_url: str, seconds: float = 60) -> tuple[str, bytes]:
    """Follow an export's page as its reloads would, until it is done; its text and file."""
    deadline = time.monotonic() + seconds
    while "Refresh" in (page := client.get(page_url)).headers:
        assert time.monotonic() < deadline, page.text
        time.sleep(0.2)
    with client.get(f"{page_url}/fil") as download:
        assert "attachment" in download.headers["Content-Disposition"], page.text
        return page.text, download.data
