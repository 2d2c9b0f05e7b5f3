"""Fuzz the JSON API with schemathesis against its own OpenAPI description (a bounded,
deterministic run): whatever arrives, no 5xx, and every answer is one the description allows.

Rate limits are off for this app only: the fuzzer sends bursts on purpose, and the limits are
tested (on) in tests/app/test_security.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.openapi import spec
from app.services.accounts import api_tokens
from app.services.organisations import sectors
from app.services.registration.details import MULTILINE, REQUIRED, TEXT_LIMITS, breakouts_by_slot
from tests.app.test_api_registration import URL as REGISTER
from tests.app.test_api_registration import person
from tests.conftest import fresh_app

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    yield from fresh_app(tmp_path, RATELIMIT_ENABLED=False)


@pytest.fixture
def api_schema(app, event):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def known(client, event, organiser) -> dict[str, str]:
    """Real values to aim at: the event's slug, a registration's token and an API token."""
    registered = client.post(REGISTER, json=person(email="known@example.org")).get_json()
    return {
        "slug": event.slug,
        "token": registered["token"],
        "bearer": api_tokens.create(organiser, "fuzz")[1],
    }


# Every operation of the description, found by reading it (not the app; tests/app/test_api.py
# checks every route is described), with invalid input too wherever it takes any input.
def _cases() -> list[tuple[str, GenerationMode]]:
    cases = []
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            takes_input = item.get("parameters") or operation.get("parameters")
            if takes_input or operation.get("requestBody"):
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_the_api_never_fails_and_answers_as_described(api_schema, known, label, mode):
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {known['bearer']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        # Once as generated (mostly unknown events and tokens), once aimed at real ones so the
        # generated bodies and queries reach the code behind the look-ups.
        case.call_and_validate(headers=headers, checks=CHECKS)
        aimed = {k: known[k] for k in case.path_parameters or {} if k in known}
        if aimed:
            case.path_parameters = {**case.path_parameters, **aimed}
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def test_every_registration_the_description_allows_is_accepted(api_schema, event):
    """schemathesis' positive-data check: a body the description calls valid, sent to a real
    event, is taken (201; 409 for an email already registered), never refused as invalid. The
    description cannot know the directory's sectors or this event's breakouts, nor which domains
    email_validator reserves (.test, .local...; said in words): like the path's slug, those
    are aimed at real ones."""
    operation = api_schema["/events/{slug}/registrations"]["POST"]
    sector = sectors.offered()[0].name
    breakouts = [b.id for _, offered in breakouts_by_slot(event) for b in offered]
    sent = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.path_parameters = {"slug": event.slug}
        sent.append(case)
        case.body = {**case.body, "sector": sector, "email": f"fuzz{len(sent)}@example.org"}
        if "preferences" in case.body:
            case.body["preferences"] = breakouts[: len(case.body["preferences"])]
        case.call_and_validate(checks=[*CHECKS, positive_data_acceptance])

    fuzz()


def test_the_description_of_a_registration_follows_the_rules():
    """The schema is derived from the rules' constants; this holds the two together."""
    described = spec()["components"]["schemas"]["RegistrationInput"]
    assert set(described["required"]) == {*REQUIRED, "consent"}
    properties = described["properties"]
    for name, limit in TEXT_LIMITS.items():
        assert properties[name]["maxLength"] == limit, name
        assert properties[name].get("minLength") == (1 if name in REQUIRED else None), name
    assert properties["consent"]["enum"] == [True]
    for name in REQUIRED:
        pattern = re.compile(properties[name]["pattern"])
        assert not pattern.search("   "), name  # blank is refused, as check_details does
        assert not pattern.search("Ann\x00"), name
        assert pattern.search(" Ann Lee "), name
    for name in MULTILINE:
        assert re.search(properties[name]["pattern"], "Step-free\r\n\tplease")
        assert not re.search(properties[name]["pattern"], "bell\x07")
