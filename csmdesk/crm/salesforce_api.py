"""How Salesforce answers, for :class:`~csmdesk.crm.salesforce.SalesforceClient`: its error
bodies, limits and session renewal (:class:`SalesforceApi`), and the SOQL literals and helpers
the client builds queries with. See :mod:`csmdesk.crm.salesforce` for the whole picture."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from csmdesk import __version__
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
from csmdesk.crm.http import DEFAULT_TIMEOUT, ApiClient, check_base_url
from csmdesk.crm.hubspot import to_ms

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "60.0"
COLLECTION_LIMIT = 200  # records per sObject Collections request
QUERY_BATCH_MIN, QUERY_BATCH_MAX = 200, 2000  # what Sforce-Query-Options batchSize accepts
IN_CHUNK = 200  # values per SOQL IN (...)
IN_CHUNK_CHARS = 6000  # url-encoded literal characters per IN: well inside the URI limit
LOCATOR_RESTARTS = 3  # an expired query locator: re-query from the watermark this many times

_SOBJECT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_VERSION = re.compile(r"\d{2,3}\.\d")
_API_USAGE = re.compile(r"(?:^|[\s,;])api-usage=(\d+)/(\d+)")
_DUPLICATE_ID = re.compile(r"\bid:\s*([A-Za-z0-9]{15,18})\b")
_SOQL_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_SOQL_SPECIAL = re.compile("[" + re.escape("".join(_SOQL_ESCAPES)) + "]")
_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SALESFORCE_EXAMPLE = "https://yourcompany.my.salesforce.com"


# --------------------------------------------------------------------------------------------
# Errors


class SessionExpired(AuthError):
    """401 ``INVALID_SESSION_ID``: the access token expired or was revoked (refreshable)."""


class RequestLimitExceeded(RateLimited):
    """403 ``REQUEST_LIMIT_EXCEEDED``: ``daily`` when the org's rolling 24-hour allowance is
    used up (not retried), otherwise too many long requests are running at once (retried)."""

    def __init__(
        self,
        message: str,
        *,
        daily: bool,
        status: int | None = 403,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.daily = daily


class MultipleMatches(Conflict):
    """300 from an upsert or read by external id: ``record_ids`` all hold the value, so
    Salesforce would not choose; the caller must (or make the field unique)."""

    def __init__(
        self,
        message: str,
        *,
        record_ids: Sequence[str] = (),
        status: int | None = 300,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, correlation_id=correlation_id)
        self.record_ids = list(record_ids)


def error_code(exc: BaseException) -> str | None:
    """Salesforce's ``errorCode`` behind a CRM error (``INVALID_FIELD``, ``MALFORMED_QUERY``,
    ``REQUEST_LIMIT_EXCEEDED``...), or None when it named none."""
    code = getattr(exc, "error_code", None)
    return code if isinstance(code, str) else None


def _tag(exc: CrmError, code: str | None) -> CrmError:
    exc.error_code = code  # type: ignore[attr-defined]
    return exc


@dataclass(frozen=True)
class _Reply:
    """What an error reply said: Salesforce's error entries, a 300's record URLs, the text."""

    errors: list[dict[str, Any]]
    urls: list[str]
    text: str

    @property
    def code(self) -> str | None:
        for entry in self.errors:
            code = entry.get("errorCode") or entry.get("error")
            if code:
                return str(code)
        return None


def _read_reply(response: httpx.Response) -> _Reply:
    text = response.text
    try:
        body = response.json()
    except ValueError:
        return _Reply([], [], text)
    if isinstance(body, dict):  # OAuth errors: {"error", "error_description"}
        body = [body]
    if not isinstance(body, list):
        return _Reply([], [], text)
    errors = [e for e in body if isinstance(e, dict)]
    urls = [u for u in body if isinstance(u, str)]
    return _Reply(errors, urls, text)


# --------------------------------------------------------------------------------------------
# SOQL literals


def soql_quote(text: str) -> str:
    """``text`` as a SOQL string literal: quoted, with quotes, backslashes and control
    characters escaped."""
    return "'" + _SOQL_SPECIAL.sub(lambda m: _SOQL_ESCAPES[m.group()], str(text)) + "'"


def soql_datetime(value: int | datetime) -> str:
    """A SOQL date-time literal (unquoted, UTC, ``2026-12-08T01:02:03Z``) from epoch ms or a
    datetime (naive means UTC). Truncated to the second, the precision Salesforce stores."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = _EPOCH + timedelta(milliseconds=int(value))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soql_literal(value: Any) -> str:
    """Any Python value as a SOQL literal: strings quoted and escaped, numbers and booleans
    bare, None as ``null``, datetimes as :func:`soql_datetime`, dates as ``YYYY-MM-DD``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"Not a SOQL number: {value!r}")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Not a SOQL number: {value!r}")
        return format(value, "f")
    if isinstance(value, datetime):
        return soql_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return soql_quote(str(value))


def _sobject(name: str) -> str:
    if not isinstance(name, str) or not _SOBJECT.fullmatch(name):
        raise ValueError(f"Not a Salesforce object name: {name!r}")
    return name


def _field(name: str) -> str:
    if not isinstance(name, str) or not _FIELD.fullmatch(name):
        raise ValueError(f"Not a Salesforce field name: {name!r}")
    return name


def _record_id(value: str) -> str:
    text = str(value).strip()
    if not _RECORD_ID.fullmatch(text):
        raise ValueError(f"Not a Salesforce record id: {value!r}")
    return text


def _fields(names: Iterable[str], *required: str) -> list[str]:
    """Field names, checked, each once (case-insensitively, as SOQL does), ``required``
    added."""
    out: dict[str, str] = {}
    for name in [*names, *required]:
        out.setdefault(_field(name).lower(), name)
    return list(out.values())


def _max_modstamp(records: Iterable[Mapping[str, Any]]) -> int | None:
    stamps = [ms for r in records if (ms := to_ms(r.get("SystemModstamp"))) is not None]
    return max(stamps) if stamps else None


def note_html(text: str) -> str:
    """Plain text as the HTML a ContentNote's ``Content`` must be: ``& < > " '`` escaped (an
    unescaped apostrophe is refused by Salesforce), each line break a ``<br>``."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    escaped = ("".join(_HTML_ESCAPES.get(ch, ch) for ch in line) for line in lines)
    return "<br>".join(escaped)


# --------------------------------------------------------------------------------------------
# The HTTP layer


class SalesforceApi(ApiClient):
    """:class:`ApiClient` speaking Salesforce: its error shapes, its request-limit 403s, the
    ``Sforce-Limit-Info`` header, and the OAuth refresh on an expired session (see the
    module's description). ``api_usage`` is the last ``(used, allowed)`` the org reported."""

    def __init__(
        self,
        instance_url: str,
        token: str,
        *,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        login_url: str | None = None,
        on_refresh: Callable[[str, str | None], None] | None = None,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        try:
            super().__init__(
                instance_url,
                token,
                retries=retries,
                sleep=sleep,
                clock=clock,
                rng=rng,
                search_per_second=None,
                timeout=timeout,
                service="Salesforce",
            )
        except ValueError as exc:
            raise ValueError(
                str(exc).replace("https://api.hubapi.com", _SALESFORCE_EXAMPLE)
            ) from None
        self._refresh_token = (refresh_token or "").strip() or None
        self._client_id = (client_id or "").strip() or None
        self._client_secret = (client_secret or "").strip() or None
        if self._refresh_token and not self._client_id:
            raise ValueError("A Salesforce refresh token needs the connected app's client id.")
        try:
            self.login_url = check_base_url(login_url or self.base_url)
        except ValueError as exc:
            raise ValueError(
                str(exc).replace("https://api.hubapi.com", "https://login.salesforce.com")
            ) from None
        self._on_refresh = on_refresh
        self._old_tokens: list[str] = []
        self._generation = 0
        self._refresh_lock = threading.Lock()
        self._local = threading.local()
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._login_client: httpx.Client | None = None
        self.api_usage: tuple[int, int] | None = None
        self.refreshes = 0
        self._client.event_hooks = {"request": [self._on_request], "response": [self._on_response]}

    # ------------------------------------------------------------------ lifecycle

    @property
    def can_refresh(self) -> bool:
        return self._refresh_token is not None

    @property
    def access_token(self) -> str:
        """The access token in use (a refresh replaces it): for saving, never for showing."""
        return self._token

    def close(self) -> None:
        super().close()
        if self._login_client is not None:
            self._login_client.close()

    def __repr__(self) -> str:
        return f"SalesforceApi({self.base_url!r}, requests_made={self.requests_made})"

    def scrub(self, text: str) -> str:
        for secret in (
            self._token,
            *self._old_tokens,
            getattr(self, "_refresh_token", None),
            getattr(self, "_client_secret", None),
        ):
            if secret:
                text = text.replace(secret, "[token]")
        return text

    # ------------------------------------------------------------------ hooks

    def _on_request(self, request: httpx.Request) -> None:
        options = getattr(self._local, "query_options", None)
        if options:
            request.headers["Sforce-Query-Options"] = options

    def _on_response(self, response: httpx.Response) -> None:
        found = _API_USAGE.search(response.headers.get("Sforce-Limit-Info") or "")
        if found:
            self.api_usage = (int(found.group(1)), int(found.group(2)))
        if response.status_code >= 300:
            response.read()  # error bodies are small; the base class only reads JSON objects
            self._local.reply = _read_reply(response)

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        search: bool = False,
        idempotent: bool | None = None,
        query_options: str | None = None,
    ) -> Any:
        """:meth:`ApiClient.request`, plus: an expired session is refreshed once and the
        request sent again; the concurrent-request limit is backed off and retried.
        ``query_options`` is sent as ``Sforce-Query-Options`` (``batchSize=500``)."""
        refreshed = False
        busy = 0
        while True:
            generation = self._generation
            self._local.query_options = query_options
            try:
                return super().request(
                    method, path, params=params, json=json, search=search, idempotent=idempotent
                )
            except SessionExpired as exc:
                if refreshed or not self.can_refresh:
                    if refreshed:
                        raise _tag(
                            SessionExpired(
                                "Salesforce refused the session it had just renewed: reconnect "
                                "in Sync settings.",
                                status=exc.status,
                            ),
                            error_code(exc),
                        ) from None
                    raise
                with self._refresh_lock:
                    if self._generation == generation:  # nobody else renewed it meanwhile
                        self._refresh_locked()
                refreshed = True
            except RequestLimitExceeded as exc:
                if exc.daily or busy >= self.max_retries:
                    raise
                self._pause(busy, f"{method.upper()} {path}", "concurrent request limit")
                busy += 1
            finally:
                self._local.query_options = None

    # ------------------------------------------------------------------ OAuth

    def refresh(self) -> None:
        """Get a new access token with the refresh token (the OAuth ``refresh_token`` grant);
        AuthError (saying to reconnect) when there is none or Salesforce refuses it."""
        with self._refresh_lock:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        if not self._refresh_token or not self._client_id:
            raise AuthError(
                "The Salesforce session has expired and CSM Desk has no way to renew it: "
                "reconnect in Sync settings.",
                status=401,
            )
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
        }
        if self._client_secret:
            form["client_secret"] = self._client_secret
        if self._login_client is None:
            self._login_client = httpx.Client(
                base_url=self.login_url,
                headers={"Accept": "application/json", "User-Agent": f"CSM-Desk/{__version__}"},
                timeout=self._timeout,
                follow_redirects=False,
            )
        where = "POST /services/oauth2/token"
        attempt = 0
        while True:
            with self._lock:
                self.requests_made += 1
            try:
                response = self._login_client.post("/services/oauth2/token", data=form)
            except httpx.TransportError as exc:
                if attempt < self.max_retries:
                    self._pause(attempt, where, type(exc).__name__)
                    attempt += 1
                    continue
                raise NetworkError(
                    self._network_message(exc, attempt + 1, maybe_applied=False)
                ) from exc
            status = response.status_code
            if status >= 500 and attempt < self.max_retries:
                self._pause(attempt, where, f"HTTP {status}")
                attempt += 1
                continue
            break
        if status >= 500:
            raise ServerError(
                self._server_message(status, attempt + 1, None, maybe_applied=False),
                status=status,
            )
        if status != 200:
            reply = _read_reply(response)
            code = reply.code or f"HTTP {status}"
            raise _tag(
                AuthError(
                    f"Salesforce would not renew the session ({self.scrub(code)}): reconnect in "
                    "Sync settings.",
                    status=status,
                ),
                reply.code,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token):
            raise MalformedResponse(f"Salesforce sent an unexpected reply ({where}).")
        assert isinstance(body, dict)
        rotated = body.get("refresh_token")
        instance = body.get("instance_url")
        with self._lock:
            self._old_tokens.append(self._token)
            self._token = token
            self._client.headers["Authorization"] = f"Bearer {token}"
            if isinstance(rotated, str) and rotated.strip():
                self._old_tokens.append(self._refresh_token)
                self._refresh_token = rotated.strip()
            if isinstance(instance, str) and instance.strip():
                try:
                    moved = check_base_url(instance)
                except ValueError:
                    moved = self.base_url
                if moved != self.base_url:
                    log.info("Salesforce: the org moved to %s", moved)
                    self.base_url = moved
                    self._client.base_url = httpx.URL(moved)
            self._generation += 1
            self.refreshes += 1
        log.info("Salesforce: the session was renewed with the refresh token")
        if self._on_refresh is not None:
            self._on_refresh(token, rotated if isinstance(rotated, str) else None)

    # ------------------------------------------------------------------ errors

    def _client_error(
        self, status: int, body: Mapping[str, Any], where: str, correlation: str | None
    ) -> CrmError:
        reply: _Reply = getattr(self._local, "reply", None) or _Reply([], [], "")
        self._local.reply = None
        code = reply.code
        said = self._said(reply)
        if status == 300:
            ids = [u.rstrip("/").rsplit("/", 1)[-1] for u in reply.urls]
            return _tag(
                MultipleMatches(
                    f"{len(ids) or 'Several'} Salesforce records match ({where}); make the "
                    "external id unique or choose one.",
                    record_ids=ids,
                    correlation_id=correlation,
                ),
                code,
            )
        if status == 401 or (status == 403 and "Bad_OAuth_Token" in reply.text):
            return _tag(
                SessionExpired(
                    "Salesforce ended the session (the access token has expired or was "
                    "revoked): reconnect in Sync settings.",
                    status=status,
                    correlation_id=correlation,
                ),
                code or "INVALID_SESSION_ID",
            )
        if code == "REQUEST_LIMIT_EXCEEDED":
            daily = "concurrent" not in said.lower()  # ConcurrentPerOrgLongTxn, ...
            if daily:
                usage = self.api_usage
                used = f" ({usage[0]:,} of {usage[1]:,})" if usage else ""
                message = (
                    f"Salesforce's API request allowance for this org is used up{used}; it is "
                    "a rolling 24-hour limit, so sync again in a few hours."
                )
            else:
                message = (
                    "Salesforce is refusing requests: too many are running at once in this org "
                    f"({said}); sync again in a minute."
                )
            return _tag(
                RequestLimitExceeded(
                    message, daily=daily, status=status, correlation_id=correlation
                ),
                code,
            )
        if status == 403:
            return _tag(
                AuthError(
                    f"Salesforce denied access ({where})"
                    + (f": {said}" if said else ".")
                    + " Check the integration user's profile and permission sets.",
                    status=status,
                    correlation_id=correlation,
                ),
                code,
            )
        if status == 404:
            return _tag(
                NotFound(
                    f"Salesforce has no such record ({where}); it may have been deleted or "
                    "merged." + (f" ({said})" if said and code != "NOT_FOUND" else ""),
                    status=status,
                    correlation_id=correlation,
                ),
                code,
            )
        if status == 409 or code in ("DUPLICATE_VALUE", "DUPLICATE_EXTERNAL_ID"):
            found = _DUPLICATE_ID.search(said)
            return _tag(
                Conflict(
                    "Salesforce already has this record" + (f": {said}" if said else "."),
                    existing_id=found.group(1) if found else None,
                    status=status,
                    correlation_id=correlation,
                ),
                code,
            )
        return _tag(
            ValidationFailed(
                "Salesforce rejected the request" + (f": {said}" if said else f" (HTTP {status})."),
                status=status,
                correlation_id=correlation,
            ),
            code,
        )

    def _said(self, reply: _Reply) -> str:
        parts = []
        for entry in reply.errors:
            message = str(entry.get("message") or entry.get("error_description") or "").strip()
            code = str(entry.get("errorCode") or entry.get("error") or "").strip()
            text = f"{code}: {message}" if code and message else code or message
            if text:
                parts.append(text)
        said = self.scrub("; ".join(parts))
        return said if len(said) <= 1000 else said[:1000] + "…"


# --------------------------------------------------------------------------------------------
# The client
