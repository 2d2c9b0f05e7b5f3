"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Kept by hand next to the views (app/api/views.py) and held to them by the tests: every route under
/api/v1 is described here, and a schemathesis run checks that real answers match these schemas.
Change both together.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from app.services.registration.details import MULTILINE, REQUIRED, TEXT_LIMITS

VERSION = "1.0.0"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
INSTANT = {"type": "string", "format": "date-time"}
REGISTRATION_STATUS = {"type": "string", "enum": ["confirmed", "waitlisted", "cancelled"]}
TALLY_PROPERTIES = {
    "voters": {"type": "integer", "minimum": 0},
    "agree": {"type": "integer", "minimum": 0},
    "disagree": {"type": "integer", "minimum": 0},
    "pass": {"type": "integer", "minimum": 0},
    "agreement": {"type": "number", "minimum": 0, "maximum": 1},
}
SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The event's web address name, e.g. `learning-day`.",
    "schema": {"type": "string", "maxLength": 80},
}
TOKEN_PARAMETER = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The private token from the registration's manage link (`/r/<token>`).",
    "schema": {"type": "string", "maxLength": 64},
}

DETAILS_PROPERTIES: dict[str, Any] = {
    **{name: {"type": "string", "maxLength": limit} for name, limit in TEXT_LIMITS.items()},
    "needs_accessible_table": {"type": "boolean"},
    "preferences": {
        "type": "array",
        "items": {"type": "integer"},
        "uniqueItems": True,
        "description": "Breakout ids, best first (ids from the event's programme), each once.",
    },
    "consent": {"type": "boolean"},
}
DETAILS_PROPERTIES["email"] = {
    **DETAILS_PROPERTIES["email"],
    "format": "email",
    "description": "A real address: reserved domains such as .test, .local or .invalid are "
    "refused.",
}

# What check_details (app/services/registration/details.py) refuses in text: control characters
# (Unicode's category Cc, exactly these ranges), bar tabs and line breaks where MULTILINE allows
# them; and, in a REQUIRED field, nothing but spaces (it is trimmed first).
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_CONTROL_BUT_LINES = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"


def _text_input(name: str) -> dict[str, Any]:
    """A text field of RegistrationInput, derived from the rules so the two cannot drift."""
    refused = _CONTROL_BUT_LINES if name in MULTILINE else _CONTROL
    schema: dict[str, Any] = {**DETAILS_PROPERTIES[name], "pattern": f"^[^{refused}]*$"}
    rules = ["No control characters" + (" but tabs and line breaks." if name in MULTILINE else ".")]
    if name in REQUIRED:
        schema["minLength"] = 1
        schema["pattern"] = rf"^[^{refused}]*[^\s{refused}][^{refused}]*$"
        rules.insert(0, "Required: not empty, nor only spaces.")
    if "description" in schema:
        rules.append(schema["description"])
    return {**schema, "description": " ".join(rules)}


INPUT_PROPERTIES: dict[str, Any] = {
    **DETAILS_PROPERTIES,
    **{name: _text_input(name) for name in TEXT_LIMITS},
    "consent": {
        "type": "boolean",
        "enum": [True],  # OpenAPI 3.0 has no "const"
        "description": "Agreement to how Convene uses the details: a registration needs it.",
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string", "description": "What went wrong, for a person to read."},
            "errors": {
                "type": "object",
                "description": "Messages per field, for input that was not valid.",
                "additionalProperties": {"type": "array", "items": STRING},
            },
        },
    },
    "RegistrationInput": {
        "type": "object",
        "required": [*REQUIRED, "consent"],
        "properties": INPUT_PROPERTIES,
        "description": "The same fields and rules as the registration form. `sector` is needed "
        "unless the organisation is one the registration form suggests; `consent` must be true.",
    },
    "RegistrationCreated": {
        "type": "object",
        "required": ["token", "status"],
        "properties": {
            "token": {"type": "string", "description": "The private manage token: keep it."},
            "status": REGISTRATION_STATUS,
        },
    },
    "Details": {
        "type": "object",
        "required": list(DETAILS_PROPERTIES),
        "properties": {**DETAILS_PROPERTIES, "email": STRING},
    },
    "OwnRegistration": {
        "allOf": [
            _ref("Details"),
            {
                "type": "object",
                "required": [
                    "status",
                    "waiting_position",
                    "offer_expires_at",
                    "checked_in",
                    "event",
                    "sessions",
                ],
                "properties": {
                    "status": REGISTRATION_STATUS,
                    "waiting_position": _nullable({"type": "integer", "minimum": 1}),
                    "offer_expires_at": _nullable(INSTANT),
                    "checked_in": {"type": "boolean"},
                    "event": {
                        "type": "object",
                        "required": ["slug", "title", "venue", "timezone", "starts_at", "ends_at"],
                        "properties": {
                            "slug": STRING,
                            "title": STRING,
                            "venue": STRING,
                            "timezone": STRING,
                            "starts_at": INSTANT,
                            "ends_at": INSTANT,
                        },
                    },
                    "sessions": {"type": "array", "items": _ref("ScheduleItem")},
                },
            },
        ]
    },
    "ScheduleItem": {
        "type": "object",
        "required": [
            "id",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "location",
            "table",
            "breakout",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": STRING,
            "kind": _ref("SessionKind"),
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "location": STRING,
            "table": _nullable({"type": "integer", "description": "Table number"}),
            "breakout": _nullable(
                {
                    "type": "object",
                    "required": ["id", "title", "room"],
                    "properties": {"id": {"type": "integer"}, "title": STRING, "room": STRING},
                }
            ),
        },
    },
    "OrganiserRegistration": {
        "allOf": [
            _ref("Details"),
            {
                "type": "object",
                "required": [
                    "id",
                    "status",
                    "created_at",
                    "waitlisted_at",
                    "offer_expires_at",
                    "cancelled_at",
                    "checked_in_at",
                    "erased",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "status": REGISTRATION_STATUS,
                    "created_at": INSTANT,
                    "waitlisted_at": _nullable(INSTANT),
                    "offer_expires_at": _nullable(INSTANT),
                    "cancelled_at": _nullable(INSTANT),
                    "checked_in_at": _nullable(INSTANT),
                    "erased": {"type": "boolean"},
                },
            },
        ]
    },
    "RegistrationList": {
        "type": "object",
        "required": ["event", "count", "registrations"],
        "properties": {
            "event": STRING,
            "count": {"type": "integer", "minimum": 0},
            "registrations": {"type": "array", "items": _ref("OrganiserRegistration")},
        },
    },
    "SessionKind": {"type": "string", "enum": ["plenary", "table_round", "breakout_slot"]},
    "Event": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "description",
            "venue",
            "timezone",
            "starts_at",
            "ends_at",
            "status",
            "capacity",
            "convenors",
            "registration",
            "links",
        ],
        "properties": {
            "slug": STRING,
            "title": STRING,
            "description": STRING,
            "venue": STRING,
            "timezone": {"type": "string", "description": "IANA timezone of the programme."},
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "status": {"type": "string", "enum": ["published", "closed"]},
            "capacity": {"type": "integer", "minimum": 1},
            "convenors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "sector"],
                    "properties": {"name": STRING, "sector": STRING},
                },
            },
            "registration": {
                "type": "object",
                "required": ["open", "message", "opens_at", "closes_at"],
                "properties": {
                    "open": {"type": "boolean"},
                    "message": _nullable({"type": "string", "description": "Why it is not open."}),
                    "opens_at": _nullable(INSTANT),
                    "closes_at": INSTANT,
                },
            },
            "links": {
                "type": "object",
                "required": ["self", "page", "register", "calendar"],
                "properties": {
                    "self": STRING,
                    "page": STRING,
                    "register": STRING,
                    "calendar": STRING,
                },
            },
        },
    },
    "EventList": {
        "type": "object",
        "required": ["events"],
        "properties": {"events": {"type": "array", "items": _ref("Event")}},
    },
    "EventDetail": {
        "allOf": [
            _ref("Event"),
            {
                "type": "object",
                "required": ["programme"],
                "properties": {"programme": {"type": "array", "items": _ref("Session")}},
            },
        ]
    },
    "Session": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "title",
            "description",
            "location",
            "starts_at",
            "ends_at",
            "breakouts",
        ],
        "properties": {
            "id": {"type": "integer"},
            "kind": _ref("SessionKind"),
            "title": STRING,
            "description": STRING,
            "location": STRING,
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "breakouts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "description", "room", "capacity"],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": STRING,
                        "description": STRING,
                        "room": STRING,
                        "capacity": {"type": "integer"},
                    },
                },
            },
        },
    },
    "VoteResults": {
        "type": "object",
        "required": ["event", "state", "statements", "bridging", "dividing"],
        "description": "The closing vote in counts only: a statement's figures from 5 voters, a "
        "sector's only with 5 voters of its own; nothing says who voted or how.",
        "properties": {
            "event": STRING,
            "state": {"type": "string", "enum": ["not opened", "open", "closed"]},
            "statements": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "text", "overall", "sectors", "bridging"],
                    "properties": {
                        "id": {"type": "integer"},
                        "text": STRING,
                        "overall": {
                            "type": "object",
                            "nullable": True,
                            "required": list(TALLY_PROPERTIES),
                            "properties": TALLY_PROPERTIES,
                        },
                        "sectors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["sector", *TALLY_PROPERTIES],
                                "properties": {"sector": STRING, **TALLY_PROPERTIES},
                            },
                        },
                        "bridging": {"type": "boolean"},
                    },
                },
            },
            "bridging": {"type": "array", "items": {"type": "integer"}},
            "dividing": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Harvest": {
        "type": "object",
        "required": ["event", "cards", "themes"],
        "description": "Approved cards (never anything that names a person) and themes.",
        "properties": {
            "event": STRING,
            "cards": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "session", "table", "breakout", "answers", "tags"],
                    "properties": {
                        "id": {"type": "integer"},
                        "session": {
                            "type": "object",
                            "required": ["id", "title"],
                            "properties": {"id": {"type": "integer"}, "title": STRING},
                        },
                        "table": {"type": "integer", "nullable": True},
                        "breakout": {"type": "string", "nullable": True},
                        "answers": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["prompt", "text"],
                                "properties": {"prompt": STRING, "text": STRING},
                            },
                        },
                        "tags": {"type": "array", "items": STRING},
                        "commitments": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"action": STRING, "owner": STRING},
                            },
                        },
                        "theme": {"type": "integer", "nullable": True},
                    },
                },
            },
            "themes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "cards", "tables", "rounds", "sectors"],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": STRING,
                        "cards": {"type": "integer"},
                        "tables": {"type": "integer"},
                        "rounds": {"type": "integer"},
                        "sectors": {
                            "type": "integer",
                            "nullable": True,
                            "description": "Sectors seated at the contributing tables; null "
                            "when fewer than 3 tables contributed.",
                        },
                    },
                },
            },
        },
    },
    "Plans": {
        "type": "object",
        "required": ["tables", "breakouts"],
        "properties": {"tables": _ref("Plan"), "breakouts": _ref("Plan")},
        "description": "The published plan of each kind; null where none is published.",
    },
    "Plan": {
        "type": "object",
        "nullable": True,
        "required": ["id", "kind", "published_at", "metrics", "sessions"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["tables", "breakouts"]},
            "published_at": INSTANT,
            "metrics": {"type": "object", "description": "Quality measures (DESIGN.md)."},
            "sessions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "starts_at", "ends_at", "tables", "breakouts"],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": STRING,
                        "starts_at": INSTANT,
                        "ends_at": INSTANT,
                        "tables": {
                            "type": "array",
                            "description": "For a table plan: who sits at each table.",
                            "items": {
                                "type": "object",
                                "required": [
                                    "number",
                                    "capacity",
                                    "accessible",
                                    "facilitator",
                                    "registrations",
                                ],
                                "properties": {
                                    "number": {"type": "integer"},
                                    "capacity": {"type": "integer"},
                                    "accessible": {"type": "boolean"},
                                    "facilitator": _nullable(
                                        {"type": "integer", "description": "Registration id"}
                                    ),
                                    "registrations": {
                                        "type": "array",
                                        "items": {"type": "integer"},
                                    },
                                },
                            },
                        },
                        "breakouts": {
                            "type": "array",
                            "description": "For a breakout plan: who goes to each breakout.",
                            "items": {
                                "type": "object",
                                "required": ["id", "title", "room", "capacity", "registrations"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "title": STRING,
                                    "room": STRING,
                                    "capacity": {"type": "integer"},
                                    "registrations": {
                                        "type": "array",
                                        "items": {"type": "integer"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

ERROR_TEXT = {
    400: "The request is malformed (e.g. the body is not a JSON object).",
    401: "No API token, or one that is not valid or has been revoked.",
    403: "Not allowed (e.g. registration is closed, or the token's account is disabled).",
    404: "Nothing at this address (or nothing this token may see).",
    405: "This address does not accept that method.",
    409: "This email is already registered for the event; its link has been mailed to it again.",
    413: "The body is too large.",
    415: "The body is not JSON (Content-Type: application/json).",
    422: "Some fields are missing or not valid; `errors` names each field.",
    429: "Too many requests; the Retry-After header says how many seconds to wait.",
}


def _errors(*statuses: int) -> dict[str, Any]:
    # Every operation may be refused as too many requests or answer 405 for another method.
    return {
        str(status): {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for status in sorted({*statuses, 405, 429})
    }


def _ok(schema: str, description: str, status: int = 200) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }


ORGANISER = [{"bearerAuth": []}]

PATHS: dict[str, Any] = {
    "/events": {
        "get": {
            "operationId": "listEvents",
            "summary": "Published events that have not ended, soonest first",
            "responses": {**_ok("EventList", "The events"), **_errors()},
        }
    },
    "/events/{slug}": {
        "parameters": [SLUG_PARAMETER],
        "get": {
            "operationId": "getEvent",
            "summary": "A published event with its programme (sessions and breakouts)",
            "responses": {**_ok("EventDetail", "The event"), **_errors(404)},
        },
    },
    "/events/{slug}/registrations": {
        "parameters": [SLUG_PARAMETER],
        "post": {
            "operationId": "register",
            "summary": "Register for an event (the same rules as the registration form)",
            "description": "Confirmed while seats are free, else on the waiting list. The answer "
            "carries the private token; the confirmation email carries the manage link. Limited "
            "per client address and per email address.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RegistrationInput")}},
            },
            "responses": {
                "201": {
                    "description": "Registered",
                    "headers": {
                        "Location": {
                            "description": "The registration's address in this API",
                            "schema": STRING,
                        }
                    },
                    "content": {"application/json": {"schema": _ref("RegistrationCreated")}},
                },
                **_errors(400, 403, 404, 409, 413, 415, 422),
            },
        },
        "get": {
            "operationId": "listRegistrations",
            "summary": "An event's registrations, in order of arrival (organisers of the event)",
            "security": ORGANISER,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": REGISTRATION_STATUS,
                    "description": "Only registrations with this status.",
                }
            ],
            "responses": {
                **_ok("RegistrationList", "The registrations"),
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/events/{slug}/plans": {
        "parameters": [SLUG_PARAMETER],
        "get": {
            "operationId": "getPublishedPlans",
            "summary": "The published table and breakout plans (organisers of the event)",
            "security": ORGANISER,
            "responses": {**_ok("Plans", "The published plans"), **_errors(401, 403, 404)},
        },
    },
    "/events/{slug}/harvest": {
        "parameters": [SLUG_PARAMETER],
        "get": {
            "operationId": "getHarvest",
            "summary": "What the tables learned: approved cards and themes (organisers)",
            "security": ORGANISER,
            "responses": {**_ok("Harvest", "The harvest"), **_errors(401, 403, 404)},
        },
    },
    "/events/{slug}/vote": {
        "parameters": [SLUG_PARAMETER],
        "get": {
            "operationId": "getVoteResults",
            "summary": "The closing vote's results in counts, overall and by sector (organisers)",
            "security": ORGANISER,
            "responses": {**_ok("VoteResults", "The vote's results"), **_errors(401, 403, 404)},
        },
    },
    "/registrations/{token}": {
        "parameters": [TOKEN_PARAMETER],
        "get": {
            "operationId": "getOwnRegistration",
            "summary": "One's own registration: status, details and personal schedule",
            "responses": {**_ok("OwnRegistration", "The registration"), **_errors(404)},
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenAPI",
            "summary": "This description",
            "responses": {
                "200": {
                    "description": "OpenAPI 3 document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_errors(),
            },
        }
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Convene API",
        "version": VERSION,
        "description": "Events, registration and plans of Convene. Errors are JSON objects "
        "with a `message` (and `errors` per field for invalid input). Times in a programme "
        "carry the event's UTC offset; other instants are UTC. Organiser operations need an API "
        "token, made on the organiser's API tokens page, sent as `Authorization: Bearer ...`.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An organiser API token (`cvn_...`).",
            }
        },
    },
}


def spec() -> dict[str, Any]:
    """The description (a copy: callers may not change the module's)."""
    return deepcopy(SPEC)
