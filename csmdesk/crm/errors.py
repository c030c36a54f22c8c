"""What can go wrong talking to a CRM, as exceptions whose ``str()`` a user can read.

Every message is built by :mod:`csmdesk.crm.http`, which scrubs the access token out of
anything the server sent back: no exception here ever carries the token.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "Conflict",
    "CrmError",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "ValidationFailed",
]


class CrmError(Exception):
    """Base of every CRM error; ``str()`` is a message for the user. Never contains the token.

    ``status`` is the HTTP status (None for network errors), ``correlation_id`` HubSpot's
    ``X-HubSpot-Correlation-Id`` for a support ticket, and ``maybe_applied`` is True when a
    write that is not safe to repeat may or may not have reached HubSpot (the connection died
    after it was sent, a 5xx came back, or a 2xx came back unreadable): the client did not
    retry it, and the caller should look before writing again. ``partial_results`` holds what
    earlier chunks of a batch write returned before this error.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        correlation_id: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id
        self.maybe_applied = maybe_applied
        self.partial_results: list[dict[str, Any]] = []

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class AuthError(CrmError):
    """401 (the token is wrong, expired or revoked: reconnect) or 403 (the token lacks scopes,
    listed in ``missing_scopes``). Never retried."""

    def __init__(
        self,
        message: str,
        *,
        missing_scopes: tuple[str, ...] = (),
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.missing_scopes = tuple(missing_scopes)


class RateLimited(CrmError):
    """Still rate limited after the retries (or the daily limit is used up)."""


class ServerError(CrmError):
    """HubSpot answered 5xx (or 423/477) after the retries."""


class NetworkError(CrmError):
    """Connect or read errors, timeouts, dropped connections, after the retries."""


class MalformedResponse(CrmError):
    """The body was not JSON, or not the shape the endpoint documents."""


class NotFound(CrmError):
    """404: no such record (it may have been deleted or merged)."""


class Conflict(CrmError):
    """409: the write would duplicate a unique value; ``existing_id`` is the record that
    holds it when HubSpot says ("Contact already exists. Existing ID: 123")."""

    def __init__(
        self,
        message: str,
        *,
        existing_id: str | None = None,
        status: int | None = 409,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.existing_id = existing_id


class ValidationFailed(CrmError):
    """Any other 4xx (mostly 400), with HubSpot's own message."""
