"""One page of the bulk sync, in process, part by part.

Run from the repository root (not part of the test suite):

    .venv/bin/python bench/bulk_page.py                                        # SQLite
    .venv/bin/python bench/bulk_page.py --backend postgresql --db-prefix mine

It seeds N consenting profiles as bench/bulk_sync.py does (settled answers, links, consent
records, one feed event each), then times the parts of one page of 1,000 and one
100-subject batch's profiles, best of seven each: the page's consents, the link decryption,
the answers, the whole of ``consented_after``, the JSON and the log's insert.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_profiles import bench_stores_and_keys  # noqa: E402
from bench.bulk_sync import seed  # noqa: E402


def best(work: Any, times: int = 7) -> tuple[float, Any]:
    taken, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = work()
        taken.append(time.perf_counter() - started)
    return min(taken) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--postgres-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--db-prefix", default="bulk_page_bench")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bulk-page-"))
    env = bench_stores_and_keys(args.backend, args.postgres_url, args.db_prefix, folder)
    _, subjects = seed(env, args.profiles)
    from surveys import create_app
    from surveys.api import connections, views
    from surveys.services import consent, driver_rows, profiles
    from surveys.services.answers import journal, reading

    app = create_app()
    with app.test_request_context("/api/v1/profiles"):
        identity, answers = connections.identity(), connections.answers()
        cipher = consent.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        sealer = journal.sealer()
        statement = profiles._WINDOW if args.backend == "postgresql" else profiles._AFTER  # noqa: SLF001
        parts: list[tuple[str, float]] = []
        taken, rows = best(
            lambda: driver_rows.rows(identity, statement, {"after": "", "limit": 1001})
        )
        parts.append(("consents (statement and rows)", taken))
        taken, hashes = best(lambda: cipher.respondent_hashes([row[1] for row in rows]))
        parts.append(("link decryption", taken))
        taken, _ = best(lambda: reading.answers_of_page(answers, hashes, sealer))
        parts.append(("answers (tags, statement, rows)", taken))
        taken, listing = best(
            lambda: profiles.consented_after(identity, answers, "", 1000, cipher, sealer)
        )
        parts.append(("consented_after: all of the above and the profiles", taken))
        tail = {"next_cursor": "x" * 900, "has_more": True, "changes_cursor": 1}
        taken, body = best(lambda: views._listing_json(listing.profiles, tail))  # noqa: SLF001
        parts.append((f"JSON ({len(body):,} bytes)", taken))
        reads = [(subject, p.attributes) for subject, p in listing.profiles.items()]
        taken, _ = best(lambda: profiles.record_reads(identity, "bench", reads, datetime.now(UTC)))
        parts.append(("log: one INSERT of 1,000 rows, committed", taken))
        taken, _ = best(
            lambda: profiles.profiles_of(identity, answers, subjects[:100], cipher, sealer)
        )
        parts.append(("a 100-subject batch's profiles (profiles_of)", taken))
    print(f"{args.backend}, {args.profiles:,} profiles, one page of 1,000, best of 7:")
    for name, taken in parts:
        print(f"  {name:<52} {taken:7.1f} ms")


if __name__ == "__main__":
    main()
