"""A recommender's copy of every shared profile: bootstrap from nothing, then follow the feed.

    export SURVEYS_TOKEN=svy_...        # flask clients create recommender
    python examples/recommender_sync.py http://127.0.0.1:5000          # sync, then follow
    python examples/recommender_sync.py http://127.0.0.1:5000 --once   # sync and catch up once

Standard library only: copy it into the recommender. The recipe, in two steps:

1. **Bootstrap**: ``GET /api/v1/profiles?limit=1000``, then ``?after=<next_cursor>`` until
   ``has_more`` is false. Keep every profile; remember ``changes_cursor`` (the feed's
   position taken before the first page).
2. **Follow**: ``GET /api/v1/changes?after=<changes_cursor>``, page by page, for ever. Each
   page names subjects whose profile changed or was withdrawn: read them again with one
   batch (``POST /api/v1/profiles/batch``), keep those returned and drop the others. A
   subject absent from the batch has nothing to share any more, whatever the event said.

Whatever changes while step 1 runs is in the feed after ``changes_cursor``, so the copy
misses nothing; some profiles are merely read twice. The copy holds what the shop's customers
agreed to share, so treat it as they would expect: no longer than the feed says.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: ``call(method, path, query, body)`` -> the response's JSON. Any non-2xx should raise.
Call = Callable[[str, str, dict[str, Any], Any], Any]

PAGE = 1000
BATCH = 100


@dataclass
class Replica:
    """The recommender's copy: subject -> profile, and where in the feed it is."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes_cursor: int = 0


def bootstrap(call: Call, page_size: int = PAGE) -> Replica:
    """Step 1: every consenting customer's profile, page by page."""
    replica = Replica()
    query: dict[str, Any] = {"limit": page_size}
    while True:
        page = call("GET", "/api/v1/profiles", query, None)
        for profile in page["profiles"]:
            replica.profiles[profile["subject"]] = profile
        replica.changes_cursor = page["changes_cursor"]
        if not page["has_more"]:
            return replica
        query = {"limit": page_size, "after": page["next_cursor"]}


def follow(call: Call, replica: Replica, page_size: int = PAGE) -> int:
    """Step 2, one pass: apply every event after the replica's cursor; returns how many."""
    applied = 0
    while True:
        page = call("GET", "/api/v1/changes", {"after": replica.changes_cursor, "limit": page_size},
                    None)  # fmt: skip
        subjects = list(dict.fromkeys(change["subject"] for change in page["changes"]))
        for start in range(0, len(subjects), BATCH):
            asked = subjects[start : start + BATCH]
            found = call("POST", "/api/v1/profiles/batch", {}, {"subjects": asked})["profiles"]
            fresh = {profile["subject"]: profile for profile in found}
            for subject in asked:
                if subject in fresh:
                    replica.profiles[subject] = fresh[subject]
                else:
                    replica.profiles.pop(subject, None)  # withdrawn, or nothing left to share
        applied += len(page["changes"])
        replica.changes_cursor = page["next_cursor"]
        if not page["has_more"]:
            return applied


def http_caller(base_url: str, token: str) -> Call:
    """A ``Call`` over HTTP(S) with urllib."""

    def call(method: str, path: str, query: dict[str, Any], body: Any) -> Any:
        url = base_url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--once", action="store_true", help="sync, catch up once, and stop")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    args = parser.parse_args()
    call = http_caller(args.base_url, os.environ["SURVEYS_TOKEN"])
    started = time.perf_counter()
    replica = bootstrap(call)
    print(f"bootstrapped {len(replica.profiles)} profiles in {time.perf_counter() - started:.1f} s;"
          f" following the feed from cursor {replica.changes_cursor}")  # fmt: skip
    while True:
        applied = follow(call, replica)
        if applied:
            print(f"applied {applied} changes; {len(replica.profiles)} profiles held")
        if args.once:
            return
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
