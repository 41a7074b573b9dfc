"""Request-level refusals: each carries its HTTP status and a machine-readable reason."""

from __future__ import annotations


class IngestError(Exception):
    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers or {}

    def body(self, request_id: str | None) -> dict:
        return {"error": self.reason, "message": self.message, "request_id": request_id}
