"""A respondent's walk served by gunicorn (2 workers) on SQLite and PostgreSQL, against a bare
Flask "hello" app under the same gunicorn in the same run.

Server CPU is read from the workers' /proc/<pid>/schedstat (time on a CPU, in ns), so the load
generator's own CPU does not count. Throughput and walk latency come from 4 and 16 concurrent
walkers; beside them the workers' and the load generator's share of a core, so a reader sees
which was the limit (the load generator parses each page's form once, then only finds the
CSRF token, and so spends a small fraction of the server's CPU per walk; a walker thread
waits for its response before the next request). Every acknowledged submit is looked up in
the database at the end. PostgreSQL's own server processes are not counted (nor the SQLite
library's work outside the workers: there is none).

    .venv/bin/python bench/respondent.py [--seconds 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import postgres_database  # noqa: E402
from tests.survey.served import environment, gunicorn, open_round, worker_pids  # noqa: E402
from tests.survey.walk import Controls  # noqa: E402

SECRET = secrets.token_urlsafe(32)
HELLO_REQUESTS = 1000  # per measurement of the baseline
BLOCK = 150  # requests per measured request kind
SEQUENTIAL_WALKS = 60
#: Whole walks before anything is measured, by four walkers at once so that both workers
#: serve every kind of page: each compiles its templates, parses the round's instrument and
#: keeps the pages that show nothing of a respondent's once per process, and a worker that
#: met the start page only in a measured block charged that to the block (one round in
#: three then read about twice the others).
WARM_UP_WALKERS = 4
WARM_UP_WALKS = 5 * WARM_UP_WALKERS
#: Issue 14's targets: a completed walk's and the start page's server CPU in hello requests.
WALK_TARGET = {"SQLite": 100, "PostgreSQL": 150}
START_TARGET = 4
START = "start page GET /s/<token>"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def cpu_seconds(pids: list[int]) -> float:
    """Time the processes spent on a CPU so far: /proc/<pid>/schedstat counts it in
    nanoseconds. The user + system times of /proc/<pid>/stat are sampled at 10 ms ticks, and
    a worker whose sub-millisecond requests fall between ticks in step with the load
    generator was once read at a seventh of its real time."""
    return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
               for pid in pids) / 1e9


class Browser:
    """One visitor: a cookie and plain HTTP/1.1 requests (gunicorn's sync workers close every
    connection, so each request opens one, as a browser behind no proxy would)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            self.cookie = None if pair.endswith("=") else pair
        location = urllib.parse.urlsplit(response.headers.get("Location", "")).path
        if response.status >= 400:
            raise WalkError(f"{method} {redact(path)}: {response.status}")
        return response.status, location, text

    def get(self, path: str) -> str:
        return self.request("GET", path)[2]

    def post(self, path: str, form: dict) -> str:
        status, location, _ = self.request("POST", path, form)
        if status != 302:
            raise WalkError(f"POST {redact(path)} answered {status}, not a redirect")
        return location


class WalkError(Exception):
    pass


def redact(path: str) -> str:
    return re.sub(r"/s/[^/]+", "/s/…", path)


_answers: dict[tuple[str, bool], dict] = {}


def answers(page_path: str, html: str, exposed: bool) -> dict:
    """What an exposed respondent (yes in every grid, every follow-up opens) or an unexposed
    one (no everywhere) sends on this page; parsed once per page and kind."""
    key = (page_path, exposed)
    if key not in _answers:
        controls = Controls(html)
        chosen = {name: ("1" if "1" in values else values[0]) if exposed
                  else ("0" if "0" in values else values[0])
                  for name, values in controls.radios.items()}
        chosen.update({name: values[:2] for name, values in controls.checkboxes.items()})
        chosen.update({name: "Inga namn här." for name in controls.texts})
        _answers[key] = chosen
    return _answers[key]


def csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def walk_to_review(browser: Browser, token: str, exposed: bool) -> str:
    """Start page, start, every page shown; returns the review page's CSRF token."""
    start = browser.get(f"/s/{token}")
    location = browser.post(f"/s/{token}", {"csrf_token": csrf(start)})
    while location.startswith("/svar/sida/"):
        page = browser.get(location)
        form = {**answers(location, page, exposed), "csrf_token": csrf(page), "action": "next"}
        location = browser.post(location, form)
    if location != "/svar/granska":
        raise WalkError(f"the walk ended at {location}")
    return csrf(browser.get(location))


def submit(browser: Browser, review_csrf: str) -> None:
    location = browser.post("/svar/granska", {"csrf_token": review_csrf, "action": "submit"})
    if location != "/svar/tack":
        raise WalkError(f"submit led to {location}")


def thank(browser: Browser) -> None:
    browser.get("/svar/tack")


@dataclass
class Served:
    name: str
    port: int
    workers: list[int]
    tokens: Iterator[str]
    acknowledged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_token(self) -> str:
        with self.lock:
            return next(self.tokens)

    def cpu(self) -> float:
        return cpu_seconds(self.workers)


class Hello:
    """The baseline, served all through the run and measured next to every figure: on a
    shared machine the CPU time of a request drifts with other programs' load, and a ratio
    is only fair between neighbours in time."""

    def __init__(self, port: int, workers: list[int]) -> None:
        self.port, self.workers = port, workers

    def ms(self, count: int = HELLO_REQUESTS) -> float:
        before = cpu_seconds(self.workers)
        for _ in range(count):
            Browser(self.port).get("/")
        return (cpu_seconds(self.workers) - before) / count * 1000


def per_request(served: Served, requests, count: int) -> float:
    """Server CPU milliseconds per call of ``requests`` (called ``count`` times)."""
    before = served.cpu()
    for _ in range(count):
        requests()
    return (served.cpu() - before) / count * 1000


def warm_up(served: Served) -> None:
    def walker(number: int) -> None:
        for walk in range(WARM_UP_WALKS // WARM_UP_WALKERS):
            browser = Browser(served.port)
            submit(browser, walk_to_review(browser, served.next_token(),
                                           exposed=(number + walk) % 2 == 0))
            thank(browser)

    threads = [threading.Thread(target=walker, args=(n,)) for n in range(WARM_UP_WALKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    served.acknowledged += WARM_UP_WALKS


def measure_requests(served: Served, hello: Hello, rounds: int) -> dict[str, list[tuple]]:
    """Server CPU ms of each kind of request and of a completed walk, each with the hello
    request's measured just before it, in ``rounds`` rounds: on a virtual machine a block's
    CPU time drifts by a fifth from one minute to the next, and the median of a few ratios
    is steadier than any one."""
    port = served.port
    figures: dict[str, list[tuple[float, float]]] = {}
    warm_up(served)

    def measure(kind: str, requests) -> None:
        baseline = hello.ms()
        figures.setdefault(kind, []).append((per_request(served, requests, BLOCK), baseline))

    def one_round() -> None:
        token = served.next_token()
        measure(START, lambda: Browser(port).get(f"/s/{token}"))
        visitor = Browser(port)
        csrf_token = csrf(visitor.get(f"/s/{token}"))
        first = visitor.post(f"/s/{token}", {"csrf_token": csrf_token})
        page = visitor.get(first)
        form = {**answers(first, page, True), "csrf_token": csrf(page), "action": "next"}
        measure("question page GET", lambda: visitor.get(first))
        measure("question page POST", lambda: visitor.post(first, form))
        reviewer = Browser(port)
        walk_to_review(reviewer, served.next_token(), exposed=True)
        measure("review GET", lambda: reviewer.get("/svar/granska"))

        # Whole walks, half of them by exposed respondents (every follow-up page).
        baseline = hello.ms()
        walkers = [Browser(port) for _ in range(SEQUENTIAL_WALKS)]
        before = served.cpu()
        reviews = [walk_to_review(b, served.next_token(), exposed=n % 2 == 0)
                   for n, b in enumerate(walkers)]
        to_review = served.cpu() - before
        before = served.cpu()
        for browser, review_csrf in zip(walkers, reviews, strict=True):
            submit(browser, review_csrf)
        submits = served.cpu() - before
        served.acknowledged += len(walkers)
        before = served.cpu()
        for browser in walkers:
            thank(browser)
        thanks = served.cpu() - before
        baseline = (baseline + hello.ms()) / 2
        figures.setdefault("submit POST /svar/granska", []).append(
            (submits / len(walkers) * 1000, baseline))
        figures.setdefault("completed walk", []).append(
            ((to_review + submits + thanks) / len(walkers) * 1000, baseline))

    for _ in range(rounds):
        one_round()
    return figures


@dataclass
class Load:
    walkers: int
    walks: int
    errors: list[str]
    seconds: float
    latencies: list[float]
    server_cpu: float
    client_cpu: float


def concurrent_walks(served: Served, walkers: int, seconds: float) -> Load:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def walker(number: int) -> None:
        exposed = number % 2 == 0
        while time.monotonic() < deadline:
            browser = Browser(served.port)
            started = time.monotonic()
            try:
                submit(browser, walk_to_review(browser, served.next_token(), exposed))
                with served.lock:
                    served.acknowledged += 1
                thank(browser)
            except (WalkError, OSError) as error:
                errors.append(str(error))
                continue
            latencies.append(time.monotonic() - started)
            exposed = not exposed

    threads = [threading.Thread(target=walker, args=(n,)) for n in range(walkers)]
    server_before, client_before, started = served.cpu(), time.process_time(), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Load(walkers, len(latencies), errors, elapsed, latencies,
                served.cpu() - server_before, time.process_time() - client_before)


def stored(database_url: str) -> int:
    """Submissions in the database: responses and pool entries waiting for their batch."""
    from sqlalchemy import create_engine, func, select

    from survey.models import PooledSubmission, Response

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = sum(connection.scalar(select(func.count()).select_from(table))
                    for table in (Response, PooledSubmission))
    engine.dispose()
    return count


def run_database(name: str, url: str, folder: Path, seconds: float, rounds: int,
                 hello: Hello) -> None:
    env = environment(url, SECRET)
    links = open_round(env, folder / name,
                       invitations=WARM_UP_WALKS + rounds * (SEQUENTIAL_WALKS + 2) + 2000)
    with gunicorn(env) as (base, master):
        served = Served(name, int(base.rsplit(":", 1)[1]), worker_pids(master), iter(links))
        figures = measure_requests(served, hello, rounds)
        loads = [concurrent_walks(served, walkers, seconds) for walkers in (4, 16)]
    print(f"\n{name}: server CPU per request (ms; × the hello request measured next to it; "
          f"medians of {rounds} rounds, the rounds' ratios in brackets)")
    medians = {}
    for kind, pairs in figures.items():
        ratios = sorted(ms / hello_ms for ms, hello_ms in pairs)
        medians[kind] = statistics.median(ratios)
        print(f"  {kind:<28} {statistics.median(ms for ms, _ in pairs):8.2f} ms  "
              f"{statistics.median(ratios):7.1f} × hello "
              f"({statistics.median(h for _, h in pairs):.3f} ms) "
              f"[{', '.join(f'{r:.1f}' for r in ratios)}]")
    print(f"{name}: concurrent walkers (client on the same machine)")
    for load in loads:
        p50, p95 = (statistics.quantiles(load.latencies, n=20)[i] for i in (9, 18)) \
            if len(load.latencies) >= 2 else (float("nan"),) * 2
        print(f"  {load.walkers:2d} walkers: {load.walks / load.seconds:5.1f} walks/s, "
              f"p50 {p50:.2f} s, p95 {p95:.2f} s, {len(load.errors)} errors; "
              f"server CPU {load.server_cpu / load.seconds:.0%} of a core, "
              f"load generator {load.client_cpu / load.seconds:.0%} "
              f"({load.client_cpu / max(load.walks, 1) * 1000:.0f} ms per walk)")
        for error in sorted(set(load.errors))[:5]:
            print(f"      error: {error}")
    kept = stored(url)
    print(f"  acknowledged submits {served.acknowledged}, stored {kept}"
          + ("" if kept == served.acknowledged else "  <-- MISMATCH"))
    busiest = loads[-1]
    p95 = (statistics.quantiles(busiest.latencies, n=20)[18]
           if len(busiest.latencies) >= 2 else float("inf"))
    print(f"{name}: issue 14's targets")
    for target, met in (
        (f"completed walk {medians['completed walk']:.1f} × hello ≤ {WALK_TARGET[name]} ×",
         medians["completed walk"] <= WALK_TARGET[name]),
        (f"start page {medians[START]:.1f} × hello ≤ {START_TARGET} ×",
         medians[START] <= START_TARGET),
        (f"{busiest.walkers} walkers: {len(busiest.errors)} errors, p95 {p95:.2f} s < 2 s",
         not busiest.errors and p95 < 2),
        (f"every acknowledged submit stored ({kept} of {served.acknowledged})",
         kept == served.acknowledged),
    ):
        print(f"  {'met' if met else 'NOT MET':7} {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="how long each concurrent phase starts walks (default 6)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the per-request figures, whose medians are shown "
                             "(default 3)")
    arguments = parser.parse_args()
    started = time.monotonic()
    print(f"machine: {os.cpu_count()} cores, load average {_load()} at the start")
    with tempfile.TemporaryDirectory(prefix="perf-bench-") as folder:
        hello_env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
        with gunicorn(hello_env, app="hello:app") as (base, master):
            hello = Hello(int(base.rsplit(":", 1)[1]), worker_pids(master))
            print(f"hello: {hello.ms():.3f} ms server CPU per request (gunicorn, 2 workers)")
            run_database("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                         Path(folder), arguments.seconds, arguments.rounds, hello)
            with postgres_database("perf_bench") as url:
                run_database("PostgreSQL", url, Path(folder), arguments.seconds,
                             arguments.rounds, hello)
    print(f"\n(run took {time.monotonic() - started:.0f} s; load average {_load()} at the end)")


def _load() -> str:
    """Other programs' load: on a shared machine the workers wait for a core, which lowers
    throughput and raises latency but not the CPU time per request."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
