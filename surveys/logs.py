"""Logs without people: one JSON line per request with no IP, query string, cookie or answer.

Werkzeug's own request lines carry the client's address and the full URL, so they are dropped;
this module writes the access log instead.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import threading
import time
from typing import Any

from flask import Flask, Response, g, request

access_log = logging.getLogger("surveys.access")
limits_log = logging.getLogger("surveys.limits")

#: The path logged for a request that matched no route: its raw path could be anything a
#: client typed, a customer id in a mistyped API address included.
UNMATCHED_PATH = "(no route)"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class DropWerkzeugRequestLines(logging.Filter):
    """Werkzeug writes '<client address> - - [time] "GET /path?query"' lines: drop them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in record.getMessage()


#: The counters of this process that are counting in memory because the storage went away.
_limits_counters_down: set[str] = set()
_limits_storage_lock = threading.Lock()


def limits_storage_unreachable(counter: str) -> None:
    """Two counters notice the storage going away and coming back, each on its own:
    Flask-Limiter's for the shopper routes and the API's (surveys/api/rate_limits.py). One
    warning when the first of them falls back to memory, one line when the last is back."""
    with _limits_storage_lock:
        first = not _limits_counters_down
        _limits_counters_down.add(counter)
    if first:
        limits_log.warning(
            "rate limit storage unreachable: counting limits in this process until it is back"
        )


def limits_storage_recovered(counter: str) -> None:
    with _limits_storage_lock:
        was_down = counter in _limits_counters_down
        _limits_counters_down.discard(counter)
        last = was_down and not _limits_counters_down
    if last:
        limits_log.info("rate limit storage recovered: limits are shared again")


class LimiterStorageEvents(logging.Handler):
    """Flask-Limiter's own log lines, reduced to the two an operator needs.

    Its lines can name a client's address (the key of a limit that was hit), so they never
    go on to other handlers; only "storage unreachable" and "storage recovered" are written,
    as our own JSON lines, once per switch per process.
    """

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Rate limit storage unreachable"):
            limits_storage_unreachable("flask-limiter")
        elif message.startswith("Rate limit storage recovered"):
            limits_storage_recovered("flask-limiter")


def init_app(app: Flask) -> None:
    limiter_logger = logging.getLogger("flask-limiter")
    if not any(isinstance(h, LimiterStorageEvents) for h in limiter_logger.handlers):
        limiter_logger.addHandler(LimiterStorageEvents())
    limiter_logger.setLevel(logging.INFO)
    limiter_logger.propagate = False
    logger = logging.getLogger("surveys")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropWerkzeugRequestLines) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(DropWerkzeugRequestLines())

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = secrets.token_hex(8)

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started", time.perf_counter())
        access_log.info(
            "request",
            extra={
                "fields": {
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    # The route's pattern, so no identifier in a path is ever logged.
                    "path": request.url_rule.rule if request.url_rule else UNMATCHED_PATH,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
            },
        )
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
