"""Benchmark: the results of a closed round of 50,000 responses, against
``analysis.report.build`` alone in the same run.

* baseline: ``analysis.report.build`` on the round's tidy table already in memory (what any
  consumer of the statistics pays, whatever it shows);
* first computation: ``survey.results.figures.figures_of`` as a results page's background
  thread runs it (read the responses from the database, expand them with the questionnaire,
  build the published report, keep it as JSON);
* cached page view: the overview page as a logged-in chief gets it once the figures are kept
  (the Flask test client; no network).

The responses are written straight into a fresh SQLite database (synthetic answers of the
default questionnaire, as ``survey.synthetic`` makes them for the demo): the benchmark is
about reading and computing, and 50,000 submissions through the respondent flow would take
most of an hour. Figures are the best of ``--repeat`` runs.
Run: .venv/bin/python bench/results.py [--responses N] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import report  # noqa: E402
from survey import create_app, db, migrate, round_data, synthetic  # noqa: E402
from survey.admin import operations as admin  # noqa: E402
from survey.admin.models import StratumCount  # noqa: E402
from survey.auth.operations import add_user  # noqa: E402
from survey.instrument import context, questionnaire_of  # noqa: E402
from survey.models import Response, random_id  # noqa: E402
from survey.results import figures  # noqa: E402

PASSWORD = "bänk-lösenord-för-chefen-42"
#: share of the responses per stratum, and the response rate
STRATA = {("Linköping", "förtroendevald"): (0.03, 0.6), ("Linköping", "medarbetare"): (0.47, 0.55),
          ("Norrköping", "förtroendevald"): (0.03, 0.6), ("Norrköping", "medarbetare"): (0.47, 0.5)}


def seed(app, responses: int) -> int:
    import datetime as dt

    with app.app_context():
        session = db.session()
        today = dt.date.today()
        round_ = admin.create_round(
            session, title="Bänkomgång", reference_year=today.year - 1,
            opens_on=today - dt.timedelta(days=40), closes_on=today - dt.timedelta(days=10),
            municipalities=["Linköping", "Norrköping"], groups=["förtroendevald", "medarbetare"])
        round_.state, round_.link_salt = "closed", None
        questionnaire = questionnaire_of(round_)
        rng = random.Random(50_000)
        rows = []
        for (municipality, group), (share, rate) in STRATA.items():
            count = round(responses * share)
            for _ in range(count):
                rows.append({"id": random_id(), "round_id": round_.id,
                             "fingerprint": round_.fingerprint, "municipality": municipality,
                             "group": group, "unit": None,
                             "answers": synthetic.answers(questionnaire, rng, context(group))})
            for state, number in (("responded", count), ("invited", round(count / rate) - count)):
                session.add(StratumCount(round_id=round_.id, municipality=municipality,
                                         group=group, unit=None, state=state, count=number))
        session.execute(insert(Response), rows)
        add_user(session, "chef@bank.example", "chief", PASSWORD)
        session.commit()
        return round_.id


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="results-bench-") as folder:
        folder = Path(folder)
        app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                          "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
                          "RESULTS_BACKGROUND_FROM": 10**9})
        migrate.upgrade(db.database(app).engine)
        start = time.perf_counter()
        round_id = seed(app, args.responses)
        print(f"seeded {args.responses} responses in {time.perf_counter() - start:.1f} s",
              flush=True)
        with app.app_context():
            session = db.session()
            from survey.models import Round

            round_ = session.get(Round, round_id)
            data = round_data.read(session, round_).survey_data()
            baseline = best(lambda: report.build(data, min_cell=round_.min_cell_size),
                            args.repeat)
            print(f"analysis.report.build alone: {baseline:.2f} s", flush=True)

            def first() -> None:
                for path in (folder / "results").glob("*.json"):
                    path.unlink()
                figures.figures_of(session, round_)

            computed = best(first, args.repeat)
            print(f"first computation (read, expand, build, keep): {computed:.2f} s "
                  f"= {computed / baseline:.2f} x build", flush=True)
        client = app.test_client()
        client.post("/login", data={"email": "chef@bank.example", "password": PASSWORD})
        page = client.get(f"/resultat/?round={round_id}")
        assert page.status_code == 200 and "data-item=\"exposed_any\"" in page.text, page.text[:500]
        cached = best(lambda: client.get(f"/resultat/?round={round_id}"), max(5, args.repeat))
        print(f"cached overview page: {cached * 1000:.0f} ms = {cached / baseline:.4f} x build",
              flush=True)
        db.database(app).engine.dispose()


if __name__ == "__main__":
    main()
