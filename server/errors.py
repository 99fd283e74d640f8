"""Domain errors: each carries the HTTP status and a machine code; routers never build HTTP errors."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, facts: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        # What a client shows in its own words (a time, a limit), so it never parses the message.
        self.facts = dict(facts or {})


class BadRequest(DomainError):
    status_code = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Unprocessable(DomainError):
    status_code = 422
    code = "invalid"


class ErrorBody(BaseModel):
    """What every error answer carries (the handlers in server.main build it); some add facts
    for the client's own wording (`too_early`: `opens_at`; `appointment_missed`: `start`)."""

    model_config = {"extra": "allow"}

    detail: str
    code: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """A 422: a request that does not fit its schema lists each issue; a broken rule says one sentence."""

    detail: list[ValidationIssue] | str
    code: str


# Documented on every API route (applied where the routers are included), so the OpenAPI lists
# the error answers clients must handle and contract tests can hold the server to them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body could not be read (for example, not UTF-8)."},
    401: {"model": ErrorBody, "description": "No valid sign-in or device token (codes missing_token, invalid_token)."},
    403: {"model": ErrorBody, "description": "Signed in, but this role or device may not do this."},
    404: {"model": ErrorBody, "description": "No such branch, counter, ticket or item."},
    409: {"model": ErrorBody, "description": "Refused in the current state; nothing was changed."},
    422: {"model": ValidationErrorBody, "description": "The request does not fit its schema or breaks a rule."},
    503: {
        "model": ErrorBody,
        "description": "Overloaded, or the database is unreachable (code busy): retry after Retry-After seconds.",
    },
}
