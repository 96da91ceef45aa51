"""gunicorn settings for `make serve` and the benchmarks. Override any of them with env vars."""

import ctypes
import logging
import multiprocessing
import os
import signal
import sys

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", "127.0.0.1:8000")
# The classic (2 x cores) + 1 sync workers: requests are short and mostly wait on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes this long is stuck: kill the worker and let the master replace it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that no slow leak can grow for ever.
max_requests = 5000
max_requests_jitter = 500
# The app writes its own access log (JSON, no address, no query string); gunicorn's would hold both.
accesslog = None
errorlog = "-"
loglevel = "info"


class WithoutPeople(logging.Filter):
    """gunicorn's own error lines can name a client ("Invalid request from ip=...") or quote
    a raw request line or URL, query string and all (a customer id, a sign-in token): keep
    what happened, drop who and where. (Behind a proxy the address is the proxy's; with TLS
    ended by gunicorn it is the shopper's.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request from ip="):
            kind = "TLS" if "SSL" in message else "HTTP"
            record.msg, record.args = "Invalid request refused (%s)", (kind,)
        elif message.startswith("Error handling request"):
            error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "?"
            record.msg, record.args, record.exc_info = "Error handling request (%s)", (error,), None
        return True


class LoggerWithoutPeople(Logger):
    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        self.error_log.addFilter(WithoutPeople())


logger_class = LoggerWithoutPeople
# Refuse absurd request lines and headers before they reach Flask.
limit_request_line = 4096
limit_request_fields = 50
limit_request_field_size = 8190
# Only trust X-Forwarded-* from the local reverse proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# TLS ended by gunicorn itself, when no reverse proxy does it: the certificate chain and key.
certfile = os.environ.get("TLS_CERTFILE") or None
keyfile = os.environ.get("TLS_KEYFILE") or None
proc_name = "surveys"
# No control socket (gunicorn 27+): nothing here uses it, and instances on one host would all
# default to the same path in $HOME.
control_socket_disable = True

#: prctl(2) option: the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def post_fork(server, worker):
    """A worker dies with its master.

    Otherwise a master killed with SIGKILL (the OOM killer, a supervisor giving up on it)
    leaves its workers running, holding the listening socket, for up to a worker timeout:
    the new master a supervisor starts then fails with "Address already in use". SIGKILL,
    not SIGTERM: with no master left, nothing would enforce a graceful timeout, and a
    request cut here is rolled back by the database like any dropped connection.
    (deploy/systemd/surveys@.service kills the whole group too; this covers every other
    supervisor.)
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != server.pid:  # the master died before the line above took effect
        os._exit(1)
