"""Benchmark: import a 50,000-row recipient list, from file to stored invitations.

Each step is compared with a baseline measured in the same run on the same data, so the
ratio says what our work costs on this machine:
  parse csv/xlsx  vs plain `csv.reader` / openpyxl's read-only `iter_rows` over the same file,
  store           vs a bare bulk INSERT of the same rows without ids or token hashes
                     (a fresh SQLite instance, migrated with Alembic).
Run: .venv/bin/python bench/import.py [ROWS]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import tempfile
import time

from openpyxl import Workbook, load_workbook
from sqlalchemy import insert

from survey import create_app, db, migrate
from survey.admin import operations
from survey.models import Invitation
from survey.recipients import parse

MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")


def rows(n: int):
    yield ["E-post", "Kommun", "Grupp", "Förvaltning"]
    for i in range(n):
        yield [f"förnamn.efternamn{i}@kommun{i % 2}.se", MUNICIPALITIES[i % 2], GROUPS[i % 3 == 0],
               f"Förvaltning {i % 17}"]


def best_of(repeat: int, fn) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    text = "".join(";".join(r) + "\r\n" for r in rows(n))
    csv_bytes = text.encode("cp1252")
    workbook = Workbook()
    for r in rows(n):
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx_bytes = buffer.getvalue()

    def parse_csv():
        report = parse(csv_bytes, "lista.csv", municipalities=MUNICIPALITIES, groups=GROUPS)
        assert report.ok and len(report.recipients) == n

    def baseline_csv():
        for _ in csv.reader(io.StringIO(csv_bytes.decode("cp1252"), newline=""), delimiter=";"):
            pass

    def parse_xlsx():
        report = parse(xlsx_bytes, "lista.xlsx", municipalities=MUNICIPALITIES, groups=GROUPS)
        assert report.ok and len(report.recipients) == n

    def baseline_xlsx():
        wb = load_workbook(io.BytesIO(xlsx_bytes), read_only=True)
        for _ in wb.worksheets[0].iter_rows(values_only=True):
            pass
        wb.close()

    for name, ours, base, size in (
        ("csv", parse_csv, baseline_csv, len(csv_bytes)),
        ("xlsx", parse_xlsx, baseline_xlsx, len(xlsx_bytes)),
    ):
        t_ours, t_base = best_of(3, ours), best_of(3, base)
        print(f"{name:5} {n} rows, {size / 1e6:.1f} MB: parse+check {t_ours:.2f} s, "
              f"baseline {t_base:.2f} s, ratio {t_ours / t_base:.1f}x")
    store(n, csv_bytes)


def store(n: int, csv_bytes: bytes) -> None:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench"})
        migrate.upgrade(db.database(app).engine)
        with app.app_context():
            session = db.session()
            today = dt.date.today()
            rounds = [
                operations.create_round(session, title=f"Bench {i}", reference_year=2025,
                                        opens_on=today, closes_on=today,
                                        municipalities=list(MUNICIPALITIES),
                                        groups=list(GROUPS))
                for i in range(2)
            ]
            report = operations.preview_import(session, rounds[0], csv_bytes, "lista.csv")
            start = time.perf_counter()
            operations.import_recipients(session, rounds[0], report)
            t_ours = time.perf_counter() - start
            rows = [{"id": f"{i:032x}", "round_id": rounds[1].id, "email": r.email,
                     "municipality": r.municipality, "group": r.group, "unit": r.unit,
                     "state": "invited", "mails_sent": 0}
                    for i, r in enumerate(report.recipients)]
            start = time.perf_counter()
            session.execute(insert(Invitation), rows)
            session.commit()
            t_base = time.perf_counter() - start
        db.database(app).engine.dispose()
    print(f"store {n} invitations (SQLite): {t_ours:.2f} s, bare insert {t_base:.2f} s, "
          f"ratio {t_ours / t_base:.1f}x")


if __name__ == "__main__":
    main()
