"""An answer's save before and after the sealed journal (issue 10), side by side in one run.

The "before" code is the commit this work started from (``--base``, default the merge-base
with main), checked out into a temporary git worktree; "after" is this checkout. The two are
the same package (``surveys``), so each round runs in a subprocess of its own, alternating
before/after so that the machine's load falls on both alike; the result is the ratio of the
medians. Each round: a store holding ``--existing`` answers (demo data), then ``--saves``
new shoppers submitting "About you" (timed: the POST that saves, through Flask's test
client) and ``--changes`` of them submitting again (timed the same way).

Run: .venv/bin/python bench/answer_save.py [--rounds 5] [--existing 10000] [--saves 300]
     BENCH_POSTGRES=postgresql://127.0.0.1:5432/test .venv/bin/python bench/answer_save.py
(PostgreSQL databases are named wt10bench_*; set BENCH_DATABASE_PREFIX to change that.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROUND = r"""
import json, os, random, secrets, sys, tempfile, time
from datetime import date
from cryptography.fernet import Fernet
from surveys import create_app
from surveys.extensions import db
from surveys.services import catalogue, demo
import re

existing, saves, changes, postgres, prefix = sys.argv[1:6]
existing, saves, changes = int(existing), int(saves), int(changes)
if postgres:
    import psycopg
    from sqlalchemy.engine import make_url
    admin = make_url(postgres).set(drivername="postgresql").render_as_string(False)
    names = {b: f"{prefix}_{b}" for b in ("answers", "identity")}
    with psycopg.connect(admin, autocommit=True) as c:
        for n in names.values():
            c.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{n}"')
    binds = {b: make_url(postgres).set(drivername="postgresql+psycopg", database=n)
             .render_as_string(False) for b, n in names.items()}
else:
    folder = tempfile.mkdtemp()
    binds = {b: f"sqlite:///{folder}/{b}.db" for b in ("answers", "identity")}
app = create_app({
    "TESTING": True, "SURVEYS_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(32),
    "SHOP_SIGNING_KEY": secrets.token_urlsafe(32), "RATELIMIT_ENABLED": False,
    "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(), "SQLALCHEMY_BINDS": binds,
})
with app.app_context():
    db.drop_all(bind_key=list(binds)); db.create_all(bind_key=list(binds))
    catalogue.load_defaults(db.session); db.session.commit()
    demo.seed(db.session, catalogue.all_surveys(db.session), existing, date.today(), seed_value=1)
    db.session.commit()
token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
rng = random.Random(2)
answers = lambda: {"state": "NG-LA", "lga": "NG-LA-11", "gender": rng.choice(["female", "male"]),
                   "age_band": rng.choice(["age_18_24", "age_25_34"]), "income_band": "income_1m_plus"}
def save(client):
    page = client.get("/surveys/about-you").get_data(as_text=True)
    data = {"csrf_token": token.search(page).group(1), **answers()}
    started = time.perf_counter()
    response = client.post("/surveys/about-you", data=data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 303, response.status_code
    return elapsed
clients = [app.test_client() for _ in range(saves)]
first = [save(c) for c in clients]
again = [save(c) for c in clients[:changes]]
import surveys
print(json.dumps({"save": first, "change": again, "code": surveys.__file__}))
"""


def base_commit(given: str | None) -> str:
    if given:
        return given
    found = subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode == 0:
        return found.stdout.strip()
    raise SystemExit("Give --base COMMIT (no branch 'main' to find the starting point from).")


def run_round(code_dir: Path, python: str, args: argparse.Namespace, prefix: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    out = subprocess.run(
        [python, "-c", ROUND, str(args.existing), str(args.saves), str(args.changes),
         os.environ.get("BENCH_POSTGRES", ""), prefix],
        cwd=code_dir, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # The two checkouts are the same package: make sure each round ran the one it should.
    assert Path(result.pop("code")).is_relative_to(code_dir), "ran the wrong checkout"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="the commit to compare with (default: merge-base main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--existing", type=int, default=10000)
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    base = base_commit(args.base)
    prefix = os.environ.get("BENCH_DATABASE_PREFIX", "wt10bench")
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(before), base],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        try:
            samples: dict[str, dict[str, list[float]]] = {
                "before": {"save": [], "change": []},
                "after": {"save": [], "change": []},
            }
            for number in range(args.rounds):
                for name, code in (("before", before), ("after", ROOT)):
                    result = run_round(code, python, args, f"{prefix}_{name}")
                    for kind, times in result.items():
                        samples[name][kind] += times
                print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False
            )
    backend = "PostgreSQL" if os.environ.get("BENCH_POSTGRES") else "SQLite"
    print(f"An answer's save (POST /surveys/about-you), {backend}, {args.existing} answers "
          f"stored, {args.rounds} alternating rounds; before = {base[:10]}")  # fmt: skip
    for kind, label in (("save", "first save"), ("change", "changed answers")):
        old = statistics.median(samples["before"][kind]) * 1000
        new = statistics.median(samples["after"][kind]) * 1000
        old95 = sorted(samples["before"][kind])[int(len(samples["before"][kind]) * 0.95)] * 1000
        new95 = sorted(samples["after"][kind])[int(len(samples["after"][kind]) * 0.95)] * 1000
        print(
            f"  {label:16} before p50 {old:6.2f} ms (p95 {old95:6.2f})   "
            f"after p50 {new:6.2f} ms (p95 {new95:6.2f})   after/before {new / old:.2f}"
        )


if __name__ == "__main__":
    main()
