"""The OpenAPI document is valid, served, and matches what the API really does: schemathesis
sends it generated requests (valid and invalid) and checks every response against it."""

import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from surveys.api.views import openapi_document


def test_the_document_is_valid_openapi_3_1():
    document = json.loads(openapi_document())
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_route_under_api_is_documented(app):
    document = json.loads(openapi_document())
    documented = {path: set(operations) for path, operations in document["paths"].items()}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in documented, f"{rule.rule} is not in the OpenAPI document"
        methods = {m.lower() for m in rule.methods} - {"head", "options"}
        assert methods <= documented[path], f"{rule.rule}: {methods} not all documented"


def test_the_document_is_served_as_json(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(openapi_document())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_matches_its_openapi_document(app, token, record_change, mode):
    """No 5xx, no response outside the document, invalid input refused: for each operation.

    (Driven through ``as_strategy`` rather than ``schema.parametrize`` only because the
    latter's lazy loader does not run under pytest 9 yet.)
    """
    for n in range(3):
        record_change(f"customer-{n}", "updated" if n % 2 else "withdrawn")
    # A body over MAX_CONTENT_LENGTH is refused with 413 before it is read: that is a
    # rejection too (schemathesis does not count it as one by default).
    rejections = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"]
    rejections += ["429", "5xx"]  # (5xx fail the not-a-server-error check on their own)
    # The bulk sync's cursor is opaque: any string fits the document, but only one the API
    # gave out is a cursor, so a made-up one is a 400 even in valid-data mode.
    sync_cursor = {
        "include-operation-id": "listProfiles",
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            }
        },
    }
    config = SchemathesisConfig.from_dict(
        {
            "checks": {"negative_data_rejection": {"expected-statuses": rejections}},
            "operations": [sync_cursor],
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    # (schemathesis leaves out the document's own address)
    found = {f"{op.method.upper()} {op.path}" for op in operations}
    assert found >= {"GET /api/v1/changes", "GET /api/v1/profiles"}
    statuses, unsatisfiable = set(), []
    for operation in operations:
        strategy = operation.as_strategy(
            generation_mode=mode, headers={"Authorization": f"Bearer {token}"}
        )

        @given(case=strategy)
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            statuses.add(case.call_and_validate().status_code)

        try:
            conforms()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (e.g. no parameters at all).
            assert mode is GenerationMode.NEGATIVE, operation.path
            unsatisfiable.append(operation.path)
    # The run exercised the API for real: served data when asked well, refused when not.
    assert (200 in statuses) if mode is GenerationMode.POSITIVE else (400 in statuses)
    assert not any(status >= 500 for status in statuses)
    assert len(unsatisfiable) < len(operations), unsatisfiable
