"""The yardstick: a bare Flask app with one endpoint returning a constant JSON body.

Served by the same gunicorn settings as the real app (``gunicorn -c gunicorn.conf.py
bench.bare_app:app``), it shows what Flask and gunicorn alone cost on this machine.
"""

from flask import Flask, Response

app = Flask(__name__)

BODY = (
    b'{"subject":"cust-1","attributes":{"state":{"code":"NG-LA","label":"Lagos"},'
    b'"age_band":{"code":"age_25_34","label":"25\\u201334"}},"notice_version":"2026-11-v1",'
    b'"last_changed":"2026-11-25T12:00:00+00:00"}'
)


@app.get("/api/v1/profiles/<path:subject>")
def profile(subject: str) -> Response:
    return Response(BODY, mimetype="application/json")


@app.post("/api/v1/profiles/batch")
def batch() -> Response:
    return Response(b'{"profiles":[' + b",".join([BODY] * 100) + b"]}", mimetype="application/json")
