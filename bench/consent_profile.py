"""How fast the consent paths are: sign-in, giving consent, and the profile query.

Run: .venv/bin/python bench/consent_profile.py [--subjects 2000] [--reads 2000]
Uses throwaway SQLite stores in a temporary folder unless ANSWERS_DATABASE_URL and
IDENTITY_DATABASE_URL point elsewhere (their tables are dropped and re-created).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from surveys import clock, create_app
from surveys.extensions import db
from surveys.services import answers, catalogue, profiles, shop_tokens
from surveys.services import consent as consent_service
from surveys.services.respondents import new_key, respondent_hash

STATES = ["NG-LA", "NG-KN", "NG-FC", "NG-OY", "NG-RI"]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, n={len(ordered)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    binds = {
        "answers": os.environ.get("ANSWERS_DATABASE_URL", f"sqlite:///{folder}/answers.db"),
        "identity": os.environ.get("IDENTITY_DATABASE_URL", f"sqlite:///{folder}/identity.db"),
    }
    app = create_app(
        {
            "SURVEYS_ENV": "test",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_BINDS": binds,
            "RATELIMIT_ENABLED": False,
        }
    )
    random.seed(7)
    with app.app_context():
        db.drop_all(bind_key=list(binds))
        db.create_all(bind_key=list(binds))
        catalogue.load_defaults(db.session)
        db.session.commit()
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        survey = catalogue.find(db.session, "where-you-shop")
        gives: list[float] = []
        for index in range(args.subjects):
            key = new_key()
            answers.save_answers(
                db.session, survey, respondent_hash(key), {"state": random.choice(STATES)},
                date.today() - timedelta(days=random.randint(0, 700)),
            )  # fmt: skip
            started = time.perf_counter()
            consent_service.give(
                db.session, f"cust-{index}", ["state"], "privacy-page", key, cipher, clock.now()
            )
            db.session.commit()
            gives.append(time.perf_counter() - started)
        print(f"give consent (service + commit), {args.subjects} subjects: {percentiles(gives)}")

        reads = []
        for _ in range(args.reads):
            subject = f"cust-{random.randrange(args.subjects)}"
            started = time.perf_counter()
            profile = profiles.profile_of(db.session, subject, cipher)
            reads.append(time.perf_counter() - started)
            assert profile is not None
        db.session.rollback()
        print(f"profile_of (consented subject): {percentiles(reads)}")

        started = time.perf_counter()
        from surveys.services import retention
        from surveys.services.answers import journal, settle

        done = settle.settle(
            db.session,
            clock.today() + timedelta(days=1),
            sealer=journal.sealer(),
            retention_days=730,
            keep=retention.linked_respondent_hashes(db.session, cipher),
        )
        elapsed = (time.perf_counter() - started) * 1000
        print(
            f"settle with retention, {args.subjects} links, {done.entries} entries: "
            f"{elapsed:.1f} ms ({done.purged} answers past retention: all are linked or recent)"
        )

    client = app.test_client()
    signins = []
    for index in range(min(args.reads, 500)):
        token = shop_tokens.sign(
            app.config["SHOP_SIGNING_KEY"], f"cust-{index}", secrets.token_hex(16), clock.now()
        )
        started = time.perf_counter()
        response = client.get("/auth/shop", query_string={"token": token})
        signins.append(time.perf_counter() - started)
        assert response.status_code == 303
    print(f"GET /auth/shop (verify, use jti, start session): {percentiles(signins)}")


if __name__ == "__main__":
    main()
