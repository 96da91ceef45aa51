"""The store-copy attack of issue 10 at full size (the suite runs it with 300 shoppers).

Drives shoppers through the app over many simulated days with the nightly settle
(tests/privacy/attack.py), copies the answers store mid-way through the last day and after
the next settle, lines the rows up against the shop's log, and prints for each group how
often a shopper landed on their own row against chance. Then the same shoppers' answers
written the old way (insert, update, delete at once, in arrival order), for comparison.

Run: .venv/bin/python bench/store_copy.py [--days 500] [--per-day 2] [--changes 40]
     TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test TEST_DATABASE_PREFIX=wt10bench \\
         .venv/bin/python bench/store_copy.py --postgres
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveys import create_app  # noqa: E402
from surveys.extensions import db  # noqa: E402
from surveys.services import catalogue  # noqa: E402
from tests.conftest import _database_url, settle_now  # noqa: E402
from tests.privacy.attack import line_up, run_scenario, simulated_clock  # noqa: E402
from tests.privacy.test_store_copy import _old_layout_rows, copy_answers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--per-day", type=int, default=2)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--deletions", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="use TEST_DATABASE_URL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    if args.postgres:
        import psycopg

        url = os.environ["TEST_DATABASE_URL"]
        prefix = os.environ.get("TEST_DATABASE_PREFIX", "wt10bench")
        names = {bind: f"{prefix}_copy_{bind}" for bind in ("answers", "identity")}
        with psycopg.connect(_database_url(url, "test", "postgresql"), autocommit=True) as c:
            for name in names.values():
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                c.execute(f'CREATE DATABASE "{name}"')
        binds = {bind: _database_url(url, name) for bind, name in names.items()}
    else:
        binds = {bind: f"sqlite:///{folder}/{bind}.db" for bind in ("answers", "identity")}
    app = create_app(
        {
            "TESTING": True,
            "SURVEYS_ENV": "test",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_BINDS": binds,
        }
    )
    with app.app_context():
        db.drop_all(bind_key=list(binds))
        db.create_all(bind_key=list(binds))
        catalogue.load_defaults(db.session)
        db.session.commit()
    copies = {}
    started = time.perf_counter()
    with simulated_clock() as set_clock:
        scenario = run_scenario(
            app, set_clock, days=args.days, per_day=args.per_day, changes=args.changes,
            deletions=args.deletions,
            mid_last_day=lambda: copies.setdefault("mid-day", copy_answers(app, folder / "m")),
        )  # fmt: skip
        last = scenario.first_day + timedelta(days=args.days - 1)
        set_clock(datetime.combine(last + timedelta(days=1), clock_time(0, 5), UTC))
        settle_now(app, include_today=False)
        copies["after the settle"] = copy_answers(app, folder / "s")
    took = time.perf_counter() - started
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{backend}: {len(scenario.people)} shoppers over {args.days} days ({args.per_day} a "
        f"day; {args.changes} days' shoppers changed, {args.deletions} deleted), run in "
        f"{took:.0f} s. Shoppers on their own row, against chance:"
    )
    through = {"mid-day": last - timedelta(days=1), "after the settle": last}
    for name, signals in copies.items():
        for signal, rows in signals.items():
            for linkage in line_up(rows, scenario.people, through[name]).values():
                print(f"  {name:16} {signal:16} {linkage}")
    for signal, rows in _old_layout_rows(app, scenario, folder).items():
        for linkage in line_up(rows, scenario.people, last).values():
            print(f"  {'old layout':16} {signal:16} {linkage}")


if __name__ == "__main__":
    main()
