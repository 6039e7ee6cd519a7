"""The fuzz suite counts what it sent, and says so at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

SENT: Counter = Counter()


@pytest.fixture
def sent() -> Counter:
    """Requests sent, by database and by status code (``SENT["sqlite", 404]``)."""
    return SENT


def pytest_terminal_summary(terminalreporter) -> None:
    if not SENT:
        return
    for database in sorted({database for database, _status in SENT}):
        by_status = {status: n for (db, status), n in SENT.items() if db == database}
        total = sum(by_status.values())
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items()))
        terminalreporter.write_line(
            f"fuzz: {total} requests on {database}, {by_status.get(500, 0)} x 500 ({statuses})")
