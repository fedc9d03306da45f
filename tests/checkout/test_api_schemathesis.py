"""Property-based run of the shop API with Schemathesis: every operation of the OpenAPI
schema gets generated valid and invalid requests (with a valid token), and none may answer
a server error; answers to valid requests must match the schema.

The requests go through Django's WSGI handler (all middleware included) in the test's
database transaction. Generation is derandomized and small (a fixed number of examples per
operation and mode), so the run is deterministic and takes seconds per operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from magpie_checkout.api import api
from magpie_checkout.api_auth import create_token
from magpie_checkout.models import CompanyMember
from tests.checkout.conftest import make_cart

pytestmark = pytest.mark.django_db

EXAMPLES = 15
#: The API's schema as the site serves it (built without a request or the database).
RAW_SCHEMA = api.get_openapi_schema(path_prefix="/shop/api/")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in RAW_SCHEMA["paths"].items()
    for method in methods
    if method in ("get", "post", "put", "patch", "delete")
)


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, without closing the test's database connection after each
    request (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def key(shop: Any) -> str:
    """A key of the Swiss buyer, whose cart holds two lines."""
    make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 3)])
    member = CompanyMember.objects.get(user=shop.ch.buyer)
    return create_token(member, "schemathesis")[1]


def test_the_schema_names_every_operation() -> None:
    assert ("POST", "/shop/api/v1/orders") in OPERATIONS
    assert ("GET", "/shop/api/v1/products/{sku}") in OPERATIONS
    assert len(OPERATIONS) >= 13


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_server_error(
    wsgi_app: WSGIHandler, key: str, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_dict(RAW_SCHEMA)
    schema.app = wsgi_app
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {key}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    run()
