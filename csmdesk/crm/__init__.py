"""CRM clients for sync: HubSpot's API over one pooled HTTP connection (``hubspot``), with the
retry and rate-limit policy in ``http`` and the errors a user reads in ``errors``."""

from __future__ import annotations

from csmdesk.crm.errors import (
    AuthError,
    Conflict,
    CrmError,
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    ValidationFailed,
)

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
