"""Each API client's budget, counted with the ``limits`` library in the API's auth hook.

Flask-Limiter (which is built on ``limits``) did this through its ``before_request`` hook and
was more than a third of a single read (docs/benchmarks.md): resolving which of its limits
apply to the endpoint, scopes, exemptions, a request context of its own. The API has one
budget, shared by every route, per client: it is counted here directly, once the caller is
known, with what Flask-Limiter itself would use, so nothing changes for a client or in Redis:

- the same storage (``RATELIMIT_STORAGE_URI``, with the extension's timeouts), strategy
  (``RATELIMIT_STRATEGY``) and limits (``API_RATE_LIMIT``);
- the same key per client (``<RATELIMIT_KEY_PREFIX>/<client name>/api``, the identifiers
  Flask-Limiter's shared limit with scope ``api`` used), so a rolling deploy that mixes old
  and new workers still counts one budget;
- the same in-memory fallback while the storage is unreachable: counting per process, Redis
  tried again after 1, 2, 4 ... 32 s (when a request comes), one warning when it goes away
  and one line when it is back (one per process with the shopper routes' limiter, which
  notices on its own: see ``surveys.logs``).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from threading import Lock

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

from surveys import logs
from surveys.extensions import LIMITS_STORAGE_OPTIONS

#: Flask-Limiter's scope for the API's shared limit, kept so the keys stay the same.
SCOPE = "api"
#: Going back to the storage after a failure: after 2**n seconds, n = 0, 1, ... this, then 0.
MAX_BACKOFF_EXPONENT = 5


@dataclass(frozen=True)
class Breach:
    """The limit a request broke, and in how many seconds its window lets the client in."""

    limit: RateLimitItem
    retry_after: int


@functools.lru_cache(maxsize=16)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    # Shortest window first, as Flask-Limiter checks them (and stops at the first breach).
    return tuple(sorted(parse_many(limits)))


@dataclass
class Budgets:
    """One process's counter for one app: the storage, and the fallback while it is down."""

    storage: Storage
    strategy: str
    prefix: str
    primary: RateLimiter = field(init=False)
    fallback: RateLimiter = field(init=False)
    storage_dead: bool = False
    _retries: int = 0
    _last_try: float = 0.0
    _lock: Lock = field(default_factory=Lock)

    def __post_init__(self) -> None:
        self.primary = STRATEGIES[self.strategy](self.storage)
        self.fallback = STRATEGIES[self.strategy](MemoryStorage())

    def _counter(self) -> RateLimiter:
        if not self.storage_dead:
            return self.primary
        if self._time_to_try_again() and self._storage_answers():
            with self._lock:
                self.storage_dead = False
                self._retries = 0
            logs.limits_storage_recovered(SCOPE)
            return self.primary
        return self.fallback

    def _time_to_try_again(self) -> bool:
        with self._lock:
            if self._retries > MAX_BACKOFF_EXPONENT:
                self._retries = 0
            if time.time() - self._last_try <= 2**self._retries:
                return False
            self._last_try = time.time()
            self._retries += 1
            return True

    def _storage_answers(self) -> bool:
        try:
            return bool(self.storage.check())
        except Exception:  # noqa: BLE001  (whatever the driver raises: still down)
            return False

    def count(self, client: str, limits: str) -> Breach | None:
        """Count one request of ``client``; the first limit it breaks, or None."""
        identifiers = (self.prefix, client, SCOPE) if self.prefix else (client, SCOPE)
        counter = self._counter()
        try:
            return _spend(counter, _parsed(limits), identifiers)
        except Exception:  # noqa: BLE001  (the storage's own errors: connection, timeout)
            if counter is self.fallback:
                raise
            with self._lock:
                first = not self.storage_dead
                self.storage_dead = True
                self._last_try = time.time()
            if first:
                logs.limits_storage_unreachable(SCOPE)
            return _spend(self.fallback, _parsed(limits), identifiers)


def _spend(
    counter: RateLimiter, limits: tuple[RateLimitItem, ...], identifiers: tuple[str, ...]
) -> Breach | None:
    for limit in limits:
        if not counter.hit(limit, *identifiers):
            try:
                reset = counter.get_window_stats(limit, *identifiers).reset_time
                seconds = int(reset - time.time())
            except Exception:  # noqa: BLE001  (the storage went away since the hit)
                seconds = limit.get_expiry()
            return Breach(limit, max(1, seconds))
    return None


def init_app(app: Flask) -> None:
    config = app.config
    options = {**LIMITS_STORAGE_OPTIONS, **config.get("RATELIMIT_STORAGE_OPTIONS", {})}
    uri = config.get("RATELIMIT_STORAGE_URI", "memory://")
    app.extensions["api_budgets"] = Budgets(
        storage=storage_from_string(uri, **options),
        strategy=config.get("RATELIMIT_STRATEGY", "fixed-window"),
        prefix=config.get("RATELIMIT_KEY_PREFIX", ""),
    )


def spend(client: str) -> Breach | None:
    """Count a request of ``client`` against the API's budget (None: within it, or limits off)."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    budgets: Budgets = app.extensions["api_budgets"]
    return budgets.count(client, app.config["API_RATE_LIMIT"])
