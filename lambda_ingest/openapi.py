"""The OpenAPI 3.1 document served at /openapi.json, built from the contract (no second copy of the schema)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import contract
from lambda_ingest.validate import REASONS

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "Machine-readable reason."},
        "message": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
    },
}

_ACCEPTED = {
    "type": "object",
    "required": ["request_id", "accepted", "duplicates", "rejected"],
    "properties": {
        "request_id": {"type": "string"},
        "accepted": {"type": "integer", "minimum": 0, "description": "Events durably stored now or before (duplicates included)."},
        "duplicates": {"type": "integer", "minimum": 0, "description": "Events dropped because their event_id was seen recently."},
        "rejected": {
            "type": "array",
            "description": "Events refused; each is kept in the dead-letter store with its reason.",
            "items": {
                "type": "object",
                "required": ["index", "reason"],
                "properties": {
                    "index": {"type": "integer", "minimum": 0},
                    "event_id": {"type": ["string", "null"]},
                    "reason": {"type": "string", "enum": list(REASONS)},
                    "error": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    schema = contract.load_schema()
    # draft-07 definitions become OpenAPI components; local refs are re-pointed.
    definitions = json.loads(json.dumps(schema["definitions"]).replace('"#/definitions/', '"#/components/schemas/'))
    body_schema = {"oneOf": [{"$ref": "#/components/schemas/batch"}, {"$ref": "#/components/schemas/event"}]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "clickstream collector",
            "version": f"{contract.CONTRACT_VERSION}.0.0",
            "description": "POST /v1/events: a batch envelope of up to 500 events / 1 MB, or one event. "
                           "Every event is validated on its own against the contract (contract/event.v1.schema.json).",
        },
        "paths": {
            "/v1/events": {
                "post": {
                    "operationId": "postEvents",
                    "summary": "Collect events",
                    "parameters": [
                        {"name": "X-Write-Key", "in": "header", "required": False, "schema": {"type": "string"},
                         "description": "The site's write key (required when the collector has CLICKSTREAM_WRITE_KEYS)."},
                        {"name": "write_key", "in": "query", "required": False, "schema": {"type": "string"},
                         "description": "The write key for senders that cannot set headers (navigator.sendBeacon)."},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": body_schema},
                            "text/plain": {"schema": body_schema},
                        },
                    },
                    "responses": {
                        "202": {"description": "Per-event results; accepted events are durably stored.",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResponse"}}}},
                        "400": _error_response("The body is not parsable (JSON, base64, compression, envelope)."),
                        "401": _error_response("Missing or unknown write key, or an invalid bearer token."),
                        "403": _error_response("The Origin is not allowed."),
                        "413": _error_response("Over the limits: 1 MB decoded body, 500 events."),
                        "415": _error_response("Not JSON / text/plain, or an unsupported Content-Encoding."),
                        "429": _error_response("The write key's rate limit is exceeded (see Retry-After)."),
                        "503": _error_response("The raw store could not be written; nothing was acknowledged, retry."),
                    },
                },
            },
            "/healthz": {"get": {"operationId": "health", "responses": {"200": {"description": "Alive."}}}},
        },
        "components": {"schemas": {**copy.deepcopy(definitions), "Error": _ERROR, "IngestResponse": _ACCEPTED}},
    }
