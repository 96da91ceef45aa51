"""How long the nightly settle takes: a day of journal entries on a store of a given size.

For each size, a fresh store holds that many answers (demo data over 26 weeks), then one
day's entries are written through the services, as visits would write them: 60 % new
answers, 20 % changed answers of shoppers already in the store, 5 % deletions, 5 % "Not
now" and 10 % page views with nothing but a funnel count. Then ``settle`` runs for that
day (timed as a whole, and on PostgreSQL the VACUUM FULL of ``responses`` on its own: the
time readers of that table wait). The seeded weeks are released beforehand, as earlier nights
would have done, so the settle's own release step (in its transaction) covers at most the
week that has just ended.

Run: .venv/bin/python bench/settle_bench.py [--sizes 100000 1000000] [--entries 10000]
     BENCH_POSTGRES=postgresql://127.0.0.1:5432/test .venv/bin/python bench/settle_bench.py
(PostgreSQL databases are named bench_settle_*; set BENCH_DATABASE_PREFIX to change it.)
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from surveys import clock, create_app
from surveys.extensions import db
from surveys.models import Response
from surveys.services import answers, catalogue, demo, funnel
from surveys.services.answers import journal, settle
from surveys.services.reporting import release
from surveys.services.respondents import new_key, respondent_hash


def binds_for(backend: str, prefix: str) -> dict[str, str]:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp())
        return {bind: f"sqlite:///{folder}/{bind}.db" for bind in ("answers", "identity")}
    import psycopg

    url = make_url(os.environ["BENCH_POSTGRES"])
    names = {bind: f"{prefix}_{bind}" for bind in ("answers", "identity")}
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(False)) as c:
        c.autocommit = True
        for name in names.values():
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{name}"')
    return {
        bind: url.set(drivername="postgresql+psycopg", database=name).render_as_string(False)
        for bind, name in names.items()
    }


def one(backend: str, size: int, entries: int, prefix: str) -> None:
    binds = binds_for(backend, prefix)
    app = create_app(
        {
            "SURVEYS_ENV": "test",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_BINDS": binds,
        }
    )
    rng = random.Random(size)
    today = clock.today()
    yesterday = today - timedelta(days=1)
    with app.app_context():
        db.drop_all(bind_key=list(binds))
        db.create_all(bind_key=list(binds))
        catalogue.load_defaults(db.session)
        db.session.commit()
        started = time.perf_counter()
        surveys = catalogue.all_surveys(db.session)
        demo.seed(db.session, surveys, size, today - timedelta(days=2), seed_value=size)
        release.release_due_weeks(db.session, yesterday)
        db.session.commit()
        seeded = time.perf_counter() - started
        known = db.session.scalars(
            select(Response.respondent_hash).limit(entries)
        ).all()  # shoppers who come back
        about = catalogue.find(db.session, "about-you")
        started = time.perf_counter()
        for n in range(entries):
            roll = rng.random()
            who = respondent_hash(new_key())
            if roll < 0.6:
                given = demo.fake_answers(rng, about.questions)
                if not any(given.values()):
                    given["gender"] = "female"
                answers.save_answers(db.session, about, who, given, yesterday)
            elif roll < 0.8:
                given = demo.fake_answers(rng, about.questions)
                given["state"], given["lga"] = "NG-KN", None
                answers.save_answers(db.session, about, rng.choice(known), given, yesterday)
            elif roll < 0.85:
                answers.delete_answers(db.session, rng.choice(known), today=yesterday)
            elif roll < 0.9:
                answers.dismiss(db.session, rng.choice(surveys), who, yesterday, 30)
            else:
                funnel.record(db.session, about, funnel.SHOWN, yesterday)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        done = settle.settle(db.session, today, sealer=journal.sealer(), retention_days=730)
        took = time.perf_counter() - started
        line = (
            f"{backend:10} {size:>9,} answers + {done.entries:,} entries: settle {took:6.1f} s "
            f"({done.responses_written:,} rows written, {done.responses_deleted:,} deleted; "
            + ", ".join(f"{name} {s:.1f} s" for name, s in done.seconds.items())
            + ")"
        )
        engine = db.engines["answers"]
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                started = time.perf_counter()
                c.execute(text("VACUUM FULL responses"))
                line += f"; VACUUM FULL responses alone {time.perf_counter() - started:.1f} s"
        assert done.entries > 0  # one per visit's transaction: fewer than the operations
        answers_store = db.session.connection(bind_arguments={"mapper": Response})
        assert settle.pending_entries(answers_store) == 0
        print(line + f"  [seeded in {seeded:.0f} s, entries written in {written:.0f} s]")
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    prefix = os.environ.get("BENCH_DATABASE_PREFIX", "bench") + "_settle"
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_POSTGRES") else [])
    for backend in backends:
        for size in args.sizes:
            one(backend, size, args.entries, prefix)


if __name__ == "__main__":
    main()
