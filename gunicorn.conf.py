"""gunicorn settings for `make serve` and the benchmarks. Override any of them with env vars."""

import multiprocessing
import os

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
