"""API views: parse the request, call a service, answer in JSON. No rules live here."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import Response, abort, current_app, g, request
from flask_babel import force_locale

from surveys import clock
from surveys.api import BATCH, bp, connections, sync_cursor
from surveys.api.auth import caller, requires
from surveys.api.problems import problem
from surveys.extensions import db
from surveys.models.api import CHANGES_READ, PROFILES_READ
from surveys.questions import QUESTIONS, label_for
from surveys.services import consent as consent_service
from surveys.services import profile_changes, profiles
from surveys.services.answers import journal
from surveys.services.profiles import Profile

JSON = "application/json"
#: The most subjects one batch request may ask for.
BATCH_MAX = 100
#: Profiles per page of the bulk sync: by default, and at most.
LISTING_DEFAULT, LISTING_MAX = 100, 1000
NOT_FOUND = "No profile for this subject."


@cache
def openapi_document() -> bytes:
    text = resources.files("surveys.api").joinpath("openapi.yaml").read_text("utf-8")
    return json.dumps(yaml.safe_load(text), separators=(",", ":")).encode("utf-8")


def _json(body: Any, status: int = 200) -> Response:
    return current_app.response_class(
        json.dumps(body, separators=(",", ":")), status=status, mimetype=JSON
    )


def _only_params(*names: str) -> None:
    """Refuse parameters we do not know: a typo like ``afer=`` must not pass unnoticed."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        abort(problem(400, f"Unknown query parameter {unknown[0]!r}."))


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= maximum:
        abort(problem(400, f"{name!r} must be a whole number from {minimum} to {maximum}."))
    return int(raw)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Subjects and profiles are personal data: no cache on the way may keep them."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    response = Response(openapi_document(), mimetype=JSON)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/v1/changes")
@requires(CHANGES_READ)
def changes() -> Response:
    _only_params("after", "limit")
    after = _int_arg("after", 0, 0, 2**63 - 1)
    limit = _int_arg("limit", 100, 1, profile_changes.MAX_PAGE)
    page = profile_changes.page(db.session, after, limit)
    return _json(
        {
            "changes": [change.as_json() for change in page.changes],
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    )


@cache
def _labels() -> dict[str, dict[str, str]]:
    """Every code's label, once per process: the hot path must not rebuild choice lists.
    In English, the API's language, whatever request happens to build it first."""
    with force_locale("en"):
        return {
            key: {code: label_for(key, code) or code for code in question.choices()}
            for key, question in QUESTIONS.items()
        }


def _profile_json(subject: str, profile: Profile) -> dict[str, Any]:
    labels = _labels()
    return {
        "subject": subject,
        "attributes": {
            key: {"code": code, "label": labels[key].get(code, code)}
            for key, code in profile.attributes.items()
        },
        "notice_version": profile.notice_version,
        "last_changed": profile.changed_at.isoformat(),
    }


@cache
def _attribute_json(key: str, code: str) -> str:
    """One attribute as the JSON a profile carries it in (codes and labels are few)."""
    label = _labels()[key].get(code, code)
    return json.dumps(key) + ":" + json.dumps({"code": code, "label": label}, separators=(",", ":"))


def _listing_json(profiles_found: dict[str, Profile], tail: dict[str, Any]) -> bytes:
    """A page of the bulk sync as :func:`_profile_json` and ``json.dumps`` would write it
    (tested), from pieces made once per attribute value: a thousand profiles a page."""
    quote = json.encoder.encode_basestring_ascii  # json.dumps's own, in C
    parts = [
        f'{{"subject":{quote(subject)},"attributes":{{'
        + ",".join([_attribute_json(key, code) for key, code in profile.attributes.items()])
        + f'}},"notice_version":{quote(profile.notice_version)},'
        f'"last_changed":"{profile.changed_at.isoformat()}"}}'
        for subject, profile in profiles_found.items()
    ]
    rest = json.dumps(tail, separators=(",", ":"))
    return ('{"profiles":[' + ",".join(parts) + "]," + rest[1:]).encode()


def _is_unicode_text(value: str) -> bool:
    """False for a lone surrogate such as ``"\\ud800"``: valid in JSON, but not text that
    can be encoded, stored or compared with a customer id."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _cipher() -> consent_service.LinkCipher:
    return consent_service.cipher_for(current_app.config["LINK_ENCRYPTION_KEY"])


def _profiles_of(subjects: list[str]) -> dict[str, Profile]:
    return profiles.profiles_of(
        connections.identity(), connections.answers(), subjects, _cipher(), journal.sealer()
    )


def _log_reads(found: dict[str, Profile]) -> None:
    """Every profile given out goes into its shopper's access log, committed before the
    response is sent: a read that could not be logged is a 503, not a silent read."""
    client = caller()
    if not found or client is None:
        return
    reads = [(subject, profile.attributes) for subject, profile in found.items()]
    # One statement, so one commit on the autocommit connection, whatever the number.
    profiles.record_reads(connections.identity(), client.name, reads, clock.now())


@bp.get("/v1/profiles/<subject:subject>")
@requires(PROFILES_READ)
def profile(subject: str) -> Response:
    _only_params()
    if "api_consents" in g:  # read with the caller's token, in one statement (auth.py)
        found = profiles.profiles_from_consents(
            connections.answers(), g.api_consents, _cipher(), journal.sealer()
        )
    else:
        found = _profiles_of([subject]) if profiles.subject_could_exist(subject) else {}
    if subject not in found:
        # The same answer for "never seen", "no consent" and "consent but nothing to share".
        return problem(404, NOT_FOUND)
    body = json.dumps(_profile_json(subject, found[subject]), separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # A 304 tells the client its copy is still right: that is a read too, and is logged.
    _log_reads(found)
    response = Response(body, mimetype=JSON)
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.get("/v1/profiles")
@requires(PROFILES_READ)
def profiles_listing() -> Response:
    """The bulk sync: every consenting subject's profile, a page at a time, in subject order,
    with the change-feed cursor to follow once the last page is in."""
    _only_params("after", "limit")
    limit = _int_arg("limit", LISTING_DEFAULT, 1, LISTING_MAX)
    raw = request.args.get("after")
    if raw is None:
        # Taken before the first page is read: whatever changes from here on is in the feed
        # after this cursor, including what the pages then read (seen twice, never missed).
        position = sync_cursor.Position(profile_changes.position(connections.identity()), "")
    else:
        try:
            position = sync_cursor.decode(raw, current_app.config["SECRET_KEY"])
        except ValueError:
            abort(problem(400, "'after' is not a cursor this endpoint gave out."))
    listing = profiles.consented_after(
        connections.identity(),
        connections.answers(),
        position.subject,
        limit,
        _cipher(),
        journal.sealer(),
    )
    _log_reads(listing.profiles)
    following = sync_cursor.Position(position.changes, listing.last_subject or position.subject)
    tail = {
        "next_cursor": sync_cursor.encode(following, current_app.config["SECRET_KEY"]),
        "has_more": listing.has_more,
        "changes_cursor": position.changes,
    }
    return current_app.response_class(_listing_json(listing.profiles, tail), mimetype=JSON)


@bp.post(f"/v1/profiles/{BATCH}")
@requires(PROFILES_READ)
def profiles_batch() -> Response:
    _only_params()
    subjects = _batch_subjects()
    found = _profiles_of(subjects) if subjects else {}
    _log_reads(found)
    return _json(
        {"profiles": [_profile_json(s, found[s]) for s in subjects if s in found]},
    )


def _batch_subjects() -> list[str]:
    if not request.is_json:
        abort(problem(415, "Send the body as application/json."))
    try:
        # Parsed here, not with get_json: its "silent" mode lets RecursionError through,
        # which a body of a few thousand nested brackets raises.
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        abort(problem(400, "The body is not valid JSON (or is nested too deeply)."))
    if not isinstance(body, dict) or set(body) != {"subjects"}:
        abort(problem(400, 'The body must be a JSON object: {"subjects": ["...", ...]}.'))
    subjects = body["subjects"]
    if not isinstance(subjects, list) or not all(isinstance(s, str) and s for s in subjects):
        abort(problem(400, "'subjects' must be a list of non-empty strings."))
    if not all(_is_unicode_text(s) for s in subjects):
        abort(problem(400, "'subjects' must be valid Unicode text (no lone surrogates)."))
    if len(subjects) > BATCH_MAX:
        abort(problem(400, f"Ask for at most {BATCH_MAX} subjects at once, not {len(subjects)}."))
    # Duplicates are read (and logged) once; impossible ids cannot have a profile.
    return [s for s in dict.fromkeys(subjects) if profiles.subject_could_exist(s)]
