"""The dashboard attacks of tests/privacy/ at full size, with their controls, in one run.

- averaging: the state table for all of Nigeria and every zone over every range of 26 weeks
  (351 ranges x 7 areas = 2,457 exports), least squares, scored on the weekly state cells
  under 10; against the real release and against raw counts;
- differencing: 1,500 shoppers add their income and gender; eight views before and after
  each change; against the real release, against the week reopened with raw counts, and
  against the week re-released with fresh noise (what the release job refuses to do).

Usage (not part of the test suite; SQLite, a few minutes)::

    .venv/bin/python bench/dashboard_attacks.py [--weeks 26] [--trials 1500]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveys import create_app  # noqa: E402
from surveys.extensions import db  # noqa: E402
from surveys.services import catalogue  # noqa: E402
from tests.privacy import test_dashboard_averaging as averaging  # noqa: E402
from tests.privacy import test_dashboard_differencing as differencing  # noqa: E402
from tests.privacy.attacks import RAW_COUNTS  # noqa: E402


def _app(**config):
    folder = Path(tempfile.mkdtemp(prefix="dashboard-attacks-"))
    binds = {bind: f"sqlite:///{folder / bind}.db" for bind in ("answers", "identity")}
    app = create_app({"TESTING": True, "SURVEYS_ENV": "test", "SECRET_KEY": "attacks",
                      "SQLALCHEMY_BINDS": binds, **config})  # fmt: skip
    with app.app_context():
        db.create_all(bind_key=["answers", "identity"])
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--responses", type=int, default=8000)
    parser.add_argument("--trials", type=int, default=1500)
    args = parser.parse_args()
    logging.getLogger("surveys.access").setLevel(logging.WARNING)
    averaging.WEEKS = args.weeks

    for name, config in (("released once", {}), ("raw counts", RAW_COUNTS)):
        started = time.perf_counter()
        app = _app(**config)
        averaging.seed(app, args.responses)
        truth = averaging.true_weekly(app)
        recovered, small = averaging.exact_share(averaging.attack(app, args.weeks), truth)
        guessed, _ = averaging.exact_share(averaging.guess_from_average(app), truth)
        exports = args.weeks * (args.weeks + 1) // 2 * 7
        print(f"averaging, {name:13}: {exports:,} exports, {small} small cells: least squares "
              f"names {recovered:.1%} exactly, guessing from the average {guessed:.1%} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip

    runs = (
        ("released once", {}, False, args.trials),
        ("reopened, raw counts", RAW_COUNTS, True, 16),
        ("re-released with fresh noise", {}, True, 200),
    )
    for name, config, reopen, trials in runs:
        started = time.perf_counter()
        app = _app(**config)
        income, gender, both = differencing.run(app, differencing.seed(app, trials), reopen)
        print(f"differencing, {name:28}: {trials} trials: income {income / trials:.1%} "
              f"(chance 16.7%), gender {gender / trials:.1%} (33.3%), both {both / trials:.1%} "
              f"(5.6%) ({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
