"""Instructions per single profile read, in-process, on SQLite: a count that the machine's
load does not change (wall-clock times on a shared machine vary 2x from run to run).

    .venv/bin/python bench/single_read_instructions.py seed /tmp/reads      # once
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python bench/single_read_instructions.py read /tmp/reads 50
    (the same with 250 reads; the difference of the two totals / 200 is one read)

``seed`` writes 1,000 consenting shoppers as ``bench/bulk_sync.py`` does, and the app's
settings beside them (``env.json``); ``read`` makes the app from them and calls its WSGI
callable for ``GET /api/v1/profiles/<subject>``, the JSON access log going to /dev/null,
as ``bench/profile_single_read.py`` does. Run ``read`` with another tree's code on its
``PYTHONPATH`` (and the same seeded folder) to compare two versions of the app.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Requests built whatever the count, so that two counts differ by the reads alone.
ENVIRONS = 250


def seed_folder(folder: Path) -> None:
    sys.path.insert(0, str(ROOT))  # only here: ``read`` takes the app from PYTHONPATH
    from bench.api_profiles import BENCH_RATE_LIMIT, bench_stores_and_keys
    from bench.bulk_sync import seed

    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **bench_stores_and_keys("sqlite", "", "", folder),
        "API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    token, subjects = seed(env, 1000)
    (folder / "env.json").write_text(json.dumps({"env": env, "token": token, "subjects": subjects}))


def read(folder: Path, count: int) -> None:
    from werkzeug.test import EnvironBuilder

    saved = json.loads((folder / "env.json").read_text())
    os.environ.update(saved["env"])
    import surveys
    from surveys import create_app

    print("app from", surveys.__file__, file=sys.stderr)
    app = create_app()
    devnull = open(os.devnull, "w")  # noqa: SIM115  (for the whole run)
    for logger in (logging.getLogger(), logging.getLogger("surveys")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(devnull)
    headers = {"Authorization": f"Bearer {saved['token']}"}
    subjects = saved["subjects"]
    environs = [
        EnvironBuilder(f"/api/v1/profiles/{subject}", headers=headers).get_environ()
        for subject in subjects[:ENVIRONS]
    ]
    statuses: set[str] = set()

    def start_response(status: str, *_: object) -> None:
        statuses.add(status)

    for n in range(count):
        b"".join(app.wsgi_app(dict(environs[n % len(environs)]), start_response))
    assert statuses == {"200 OK"}, statuses


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed_folder(Path(sys.argv[2]))
    else:
        read(Path(sys.argv[2]), int(sys.argv[3]))
