"""Benchmark: parse a 50,000-row recipient list (CSV and XLSX) and compare with a bare read.

The baseline is measured in the same run on the same file (plain `csv.reader`, and openpyxl's
read-only `iter_rows` for XLSX), so the ratio says what our checks cost on this machine.
Run: .venv/bin/python bench/import.py [ROWS]
"""

from __future__ import annotations

import csv
import io
import sys
import time

from openpyxl import Workbook, load_workbook

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
        print(f"{name:4} {n} rows, {size / 1e6:.1f} MB: parse+check {t_ours:.2f} s, "
              f"baseline {t_base:.2f} s, ratio {t_ours / t_base:.1f}x")


if __name__ == "__main__":
    main()
