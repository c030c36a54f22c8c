"""Salesforce's REST API as the sync needs it: SOQL paging, incremental pulls, writes, notes.

``SalesforceClient`` wraps one :class:`SalesforceApi`, a subclass of
:class:`~csmdesk.crm.http.ApiClient` (the pooled connection, retries, backoff and the token
kept out of messages and logs) that knows how Salesforce answers:

* **Error bodies** are JSON arrays (``[{"message", "errorCode", "fields"}]``). They are read
  into the error's message and its ``error_code`` attribute (see :func:`error_code`).
* **401** (``INVALID_SESSION_ID``; also ``userinfo``'s 403 ``Bad_OAuth_Token``) means the
  access token expired: with a refresh token the client runs the OAuth ``refresh_token`` grant
  once and sends the request again (a 401 proves nothing was done, so even a create is safe to
  repeat); without one it raises :class:`~csmdesk.crm.errors.AuthError` saying to reconnect.
* **403 ``REQUEST_LIMIT_EXCEEDED``** is a rate limit, not an auth failure: the rolling 24-hour
  ``TotalRequests`` allowance raises :class:`~csmdesk.crm.errors.RateLimited` at once; the
  concurrent-request limit (``ConcurrentPerOrgLongTxn``) is backed off and retried first.
  Every other 403 is an :class:`~csmdesk.crm.errors.AuthError`.
* **300** from an upsert by external id (several records hold the value) raises
  :class:`MultipleMatches` with the ids.
* ``Sforce-Limit-Info: api-usage=N/M`` on every reply is kept in ``api_usage``.

Incremental pulls (:meth:`SalesforceClient.iter_modified`) query ``SystemModstamp >=`` the
watermark through ``queryAll`` (so deletions arrive as records with ``IsDeleted`` true) in
``SystemModstamp, Id`` order, following ``nextRecordsUrl``. Salesforce stamps to the second,
so the watermark itself is *included*: records modified in the watermark's second come again
and callers de-duplicate them. That is what makes the pull lossless: writes landing later in
that same second are never skipped. De-duplicate by content (or apply idempotently), not by
``(Id, SystemModstamp)``: a record written twice in one second keeps the same stamp, and its
second version would be dropped as "already applied".

Records are returned as Salesforce sends them (with their ``attributes``).
"""

from __future__ import annotations

import base64
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

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
from csmdesk.crm.hubspot import Page, to_ms

__all__ = [
    "COLLECTION_LIMIT",
    "DEFAULT_API_VERSION",
    "MultipleMatches",
    "Page",
    "RequestLimitExceeded",
    "SalesforceApi",
    "SalesforceClient",
    "SessionExpired",
    "error_code",
    "note_html",
    "soql_datetime",
    "soql_literal",
    "soql_quote",
    "to_ms",
]

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


def _unique(values: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value is not None and str(value) != "":
            seen.setdefault(str(value), None)
    return list(seen)


def _fields(names: Iterable[str], *required: str) -> list[str]:
    """Field names, checked, each once (case-insensitively, as SOQL does), ``required``
    added."""
    out: dict[str, str] = {}
    for name in [*names, *required]:
        out.setdefault(_field(name).lower(), name)
    return list(out.values())


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


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


class SalesforceClient:
    """Salesforce over one pooled connection; a context manager (``close()`` on exit).

    ``token`` is an OAuth access token for ``instance_url`` (the org's My Domain address).
    With ``refresh_token`` and ``client_id`` (plus ``client_secret`` for a confidential
    connected app) an expired session is renewed at ``login_url`` (the instance by default)
    and ``on_refresh(access_token, rotated_refresh_token_or_None)`` is called so the new
    tokens can be saved. Object and field names are Salesforce's API names.
    """

    def __init__(
        self,
        token: str,
        instance_url: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        login_url: str | None = None,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_refresh: Callable[[str, str | None], None] | None = None,
    ) -> None:
        version = str(api_version).strip().lstrip("vV")
        if not _VERSION.fullmatch(version):
            raise ValueError(f"Not a Salesforce API version: {api_version!r} (e.g. 60.0)")
        self.api_version = version
        self._api = SalesforceApi(
            instance_url,
            token,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            login_url=login_url,
            on_refresh=on_refresh,
            retries=retries,
            sleep=sleep,
            clock=clock,
            rng=rng,
        )
        self._data = f"/services/data/v{version}"

    # ------------------------------------------------------------------ lifecycle

    @property
    def api(self) -> SalesforceApi:
        return self._api

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent so far, retries and session renewals included."""
        return self._api.requests_made

    @property
    def retries(self) -> int:
        return self._api.retries

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """``(used, allowed)`` API requests in the org's rolling 24 hours, as the last reply's
        ``Sforce-Limit-Info`` said; None before the first reply."""
        return self._api.api_usage

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SalesforceClient({self.base_url!r}, requests_made={self.requests_made})"

    def refresh(self) -> None:
        """Renew the session now with the refresh token; AuthError (reconnect) without one."""
        self._api.refresh()

    # ------------------------------------------------------------------ plumbing

    def _object(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise MalformedResponse(f"Salesforce sent an unexpected reply ({where}).")
        return data

    def _new_id(self, data: Any, where: str) -> str:
        body = self._object(data, where)
        record_id = body.get("id")
        if not isinstance(record_id, str) or not _RECORD_ID.fullmatch(record_id):
            raise MalformedResponse(f"Salesforce sent a reply without the record's id ({where}).")
        return record_id

    def _next_url(self, url: str) -> str:
        """A ``nextRecordsUrl`` as a path on this instance (never another host)."""
        parts = urlsplit(str(url))
        if (parts.scheme or parts.netloc) and (
            f"{parts.scheme}://{parts.netloc}".lower() != self.base_url.lower()
        ):
            raise ValueError(f"Not a query locator of this Salesforce org: {url!r}")
        path = parts.path
        if not path.startswith("/services/data/") or ".." in path or parts.query:
            raise ValueError(f"Not a Salesforce query locator: {url!r}")
        return path

    def _page(self, data: Any, where: str) -> Page:
        body = self._object(data, where)
        records = body.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise MalformedResponse(f"Salesforce sent an unexpected reply ({where}).")
        after = body.get("nextRecordsUrl")
        if body.get("done") is False:
            if not isinstance(after, str) or not after:
                raise MalformedResponse(f"Salesforce's query page has no next page ({where}).")
        else:
            after = None
        return Page(records, after, _max_modstamp(records))

    # ------------------------------------------------------------------ org

    def identity(self) -> dict[str, Any]:
        """Who the token is: ``organization_id``, ``user_id``, ``preferred_username`` (and the
        rest of OpenID Connect's userinfo)."""
        path = "/services/oauth2/userinfo"
        info = self._object(self._api.request("GET", path), f"GET {path}")
        if not all(info.get(k) for k in ("organization_id", "user_id", "preferred_username")):
            raise MalformedResponse(f"Salesforce sent an unexpected reply (GET {path}).")
        return info

    def limits(self) -> dict[str, Any]:
        """The org's limits: ``{"DailyApiRequests": {"Max": ..., "Remaining": ...}, ...}``."""
        path = f"{self._data}/limits"
        return self._object(self._api.request("GET", path), f"GET {path}")

    def describe(self, sobject: str) -> dict[str, Any]:
        """An object's describe; each of its ``fields`` has ``name``, ``label``, ``type``,
        ``custom``, ``externalId``, ``updateable``..."""
        path = f"{self._data}/sobjects/{_sobject(sobject)}/describe"
        body = self._object(self._api.request("GET", path), f"GET {path}")
        fields = body.get("fields")
        if not isinstance(fields, list) or not all(
            isinstance(f, dict) and f.get("name") for f in fields
        ):
            raise MalformedResponse(f"Salesforce sent an unexpected reply (GET {path}).")
        return body

    # ------------------------------------------------------------------ reading

    def query_page(
        self,
        soql: str,
        *,
        next_url: str | None = None,
        all_rows: bool = False,
        batch: int | None = None,
    ) -> Page:
        """One page of a SOQL query (``query``, or ``queryAll`` with ``all_rows``, which also
        returns deleted and archived records); with ``next_url`` (a previous page's
        ``after``, Salesforce's ``nextRecordsUrl``) the page after that one. ``batch`` asks
        for that many records per page (200 to 2000; Salesforce may send fewer)."""
        options = None
        if batch is not None and int(batch) < QUERY_BATCH_MAX:
            options = f"batchSize={max(QUERY_BATCH_MIN, int(batch))}"
        if next_url:
            path = self._next_url(next_url)
            data = self._api.request("GET", path, query_options=options)
        else:
            if not str(soql or "").strip():
                raise ValueError("A SOQL query cannot be empty")
            path = f"{self._data}/{'queryAll' if all_rows else 'query'}"
            data = self._api.request("GET", path, params={"q": soql}, query_options=options)
        return self._page(data, f"GET {path}")

    def iter_query(
        self, soql: str, *, all_rows: bool = False, batch: int | None = None
    ) -> Iterator[Page]:
        """Every page of a query, following ``nextRecordsUrl``."""
        page = self.query_page(soql, all_rows=all_rows, batch=batch)
        seen: set[str] = set()
        while True:
            yield page
            if page.after is None:
                return
            if page.after in seen:
                raise MalformedResponse("Salesforce's query paging went round in a circle.")
            seen.add(page.after)
            page = self.query_page(soql, next_url=page.after, all_rows=all_rows, batch=batch)

    def iter_modified(
        self,
        sobject: str,
        since_ms: int | None,
        fields: Sequence[str],
        *,
        batch: int = QUERY_BATCH_MAX,
        deleted: bool = True,
    ) -> Iterator[Page]:
        """Every record whose ``SystemModstamp`` is at or after ``since_ms`` (all when None),
        oldest change first (then by id), with ``Id``, ``SystemModstamp`` and ``IsDeleted``
        added to ``fields``; empty pages are not yielded.

        Through ``queryAll``, so records deleted to the recycle bin come as records with
        ``IsDeleted`` true (those emptied from it, or past its retention, do not: a full pull
        finds them missing). ``deleted=False`` uses ``query`` and leaves ``IsDeleted`` out, for
        objects that have no such field (User).

        ``since_ms`` is truncated to its second and compared with ``>=``: Salesforce stamps to
        the second, so records modified in the watermark's own second are returned again and
        **callers de-duplicate**, by content rather than by ``SystemModstamp`` (a record written
        twice in one second has the same stamp both times, with different values). A query
        locator that expires mid-pull (after a long pause) is replaced by a new query from the
        newest stamp seen, which again may repeat that second's records.
        """
        obj = _sobject(sobject)
        required = ("Id", "SystemModstamp", "IsDeleted") if deleted else ("Id", "SystemModstamp")
        select = ", ".join(_fields(fields, *required))

        def soql(since: int | None) -> str:
            where = "" if since is None else f" WHERE SystemModstamp >= {soql_datetime(since)}"
            return f"SELECT {select} FROM {obj}{where} ORDER BY SystemModstamp, Id"

        since = since_ms
        restarts = 0
        page = self.query_page(soql(since), all_rows=deleted, batch=batch)
        while True:
            if page.results:
                yield page
                newest = page.max_modified_ms
                if newest is not None and (since is None or newest // 1000 > since // 1000):
                    since, restarts = newest, 0  # progress: a restart would begin later
            if page.after is None:
                return
            try:
                page = self.query_page(
                    soql(since), next_url=page.after, all_rows=deleted, batch=batch
                )
            except ValidationFailed as exc:
                if error_code(exc) != "INVALID_QUERY_LOCATOR" or restarts >= LOCATOR_RESTARTS:
                    raise
                restarts += 1
                log.info("Salesforce: the %s query locator expired; querying again", obj)
                page = self.query_page(soql(since), all_rows=deleted, batch=batch)

    def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """One record (NotFound when it does not exist or is deleted); all fields, or only
        ``fields``."""
        path = f"{self._data}/sobjects/{_sobject(sobject)}/{_record_id(record_id)}"
        params = {"fields": ",".join(_fields(fields))} if fields else None
        return self._object(self._api.request("GET", path, params=params), f"GET {path}")

    def find_by_field(
        self,
        sobject: str,
        field: str,
        values: Iterable[Any],
        fields: Sequence[str],
    ) -> list[dict[str, Any]]:
        """Live records whose ``field`` is any of ``values`` (SOQL ``IN``, every value a
        properly escaped literal, chunked to keep each query short), each once, in the order
        found. String comparison is case-insensitive, as in Salesforce."""
        obj, name = _sobject(sobject), _field(field)
        select = ", ".join(_fields(fields, "Id", name))
        literals = _unique(soql_literal(v) for v in values if v is not None and v != "")
        found: dict[str, dict[str, Any]] = {}
        for chunk in self._in_chunks(literals):
            soql = f"SELECT {select} FROM {obj} WHERE {name} IN ({', '.join(chunk)})"
            for page in self.iter_query(soql):
                for record in page.results:
                    key = str(record.get("Id") or len(found))
                    found.setdefault(key, record)
        return list(found.values())

    @staticmethod
    def _in_chunks(literals: list[str]) -> Iterator[list[str]]:
        chunk: list[str] = []
        size = 0
        for literal in literals:
            cost = len(quote(literal, safe="")) + 3
            if chunk and (len(chunk) >= IN_CHUNK or size + cost > IN_CHUNK_CHARS):
                yield chunk
                chunk, size = [], 0
            chunk.append(literal)
            size += cost
        if chunk:
            yield chunk

    # ------------------------------------------------------------------ writing

    def create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Create one record; its new id. Not retried once it may have reached Salesforce
        (only when the connection never opened, or the session was renewed): after an error
        with ``maybe_applied`` look for it (:meth:`find_by_field` on an external id) before
        creating again, or create with :meth:`upsert`, which is safe to repeat."""
        path = f"{self._data}/sobjects/{_sobject(sobject)}"
        data = self._api.request("POST", path, json=dict(fields), idempotent=False)
        return self._new_id(data, f"POST {path}")

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Set ``fields`` on one record (PATCH; retried, as repeating it changes nothing)."""
        path = f"{self._data}/sobjects/{_sobject(sobject)}/{_record_id(record_id)}"
        self._api.request("PATCH", path, json=dict(fields))

    def upsert(
        self, sobject: str, external_field: str, value: str, fields: Mapping[str, Any]
    ) -> tuple[str, bool]:
        """Create or update the record whose ``external_field`` is ``value``: ``(id, created)``.
        Idempotent by the external id, so it is retried like an update: this is how a create
        becomes safe to repeat. MultipleMatches (300) when several records hold the value."""
        obj, name = _sobject(sobject), _field(external_field)
        text = str(value).strip() if value is not None else ""
        if not text:
            raise ValueError("An external id for an upsert cannot be empty")
        body: dict[str, Any] = {}
        for key, given in fields.items():
            if key.lower() == "id":
                raise ValueError("An upsert by external id cannot also set Id")
            if key.lower() == name.lower():
                if str(given) != text:
                    raise ValueError(f"{key} in the fields differs from the external id")
                continue
            body[key] = given
        if "/" in text:  # cannot travel in a URL path: the collection form takes it in the body
            return self._upsert_collection(obj, name, text, body)
        path = f"{self._data}/sobjects/{obj}/{name}/{quote(text, safe='')}"
        data = self._api.request("PATCH", path, json=body)
        if data is None:  # API versions before 46.0 answer an update with 204 and no body
            found = self._api.request("GET", path, params={"fields": "Id"})
            return self._new_id({"id": self._object(found, f"GET {path}").get("Id")}, path), False
        reply = self._object(data, f"PATCH {path}")
        return self._new_id(reply, f"PATCH {path}"), bool(reply.get("created"))

    def _upsert_collection(
        self, obj: str, name: str, value: str, body: dict[str, Any]
    ) -> tuple[str, bool]:
        path = f"{self._data}/composite/sobjects/{obj}/{name}"
        record = {"attributes": {"type": obj}, **body, name: value}
        data = self._api.request("PATCH", path, json={"allOrNone": True, "records": [record]})
        results = data if isinstance(data, list) else None
        if not results or not isinstance(results[0], dict):
            raise MalformedResponse(f"Salesforce sent an unexpected reply (PATCH {path}).")
        result = results[0]
        if not result.get("success"):
            errors = result.get("errors") or []
            codes = [str(e.get("statusCode")) for e in errors if isinstance(e, dict)]
            said = self._api.scrub(
                "; ".join(
                    f"{e.get('statusCode')}: {e.get('message')}"
                    for e in errors
                    if isinstance(e, dict)
                )
            )
            if "DUPLICATE_EXTERNAL_ID" in codes:
                raise _tag(
                    MultipleMatches(f"Several Salesforce records match: {said}"),
                    "DUPLICATE_EXTERNAL_ID",
                )
            raise _tag(
                ValidationFailed(f"Salesforce rejected the request: {said}", status=400),
                codes[0] if codes else None,
            )
        return self._new_id(result, f"PATCH {path}"), bool(result.get("created"))

    def composite_update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[dict]:
        """Update many records, ``[{"Id": ..., field: value, ...}]``, ≤200 per request
        (``allOrNone`` false: each record succeeds or fails alone). One result per record, in
        order: ``{"id", "success", "errors": [{"statusCode", "message", "fields"}]}``. When a
        request fails outright, the error's ``partial_results`` holds the earlier results."""
        obj = _sobject(sobject)
        path = f"{self._data}/composite/sobjects"
        items = []
        for record in records:
            record_id = next((v for k, v in record.items() if k.lower() == "id"), None)
            if not record_id:
                raise ValueError("Every record to update needs its Id")
            values = {k: v for k, v in record.items() if k.lower() not in ("id", "attributes")}
            items.append({"attributes": {"type": obj}, "id": str(record_id), **values})
        out: list[dict[str, Any]] = []
        for chunk in _chunks(items, COLLECTION_LIMIT):
            try:
                data = self._api.request("PATCH", path, json={"allOrNone": False, "records": chunk})
            except CrmError as exc:
                exc.partial_results = list(out)
                raise
            out += self._results(data, chunk, f"PATCH {path}")
        return out

    @staticmethod
    def _results(data: Any, chunk: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        if (
            not isinstance(data, list)
            or len(data) != len(chunk)
            or not all(isinstance(r, dict) for r in data)
        ):
            raise MalformedResponse(f"Salesforce sent an unexpected reply ({where}).")
        for result, sent in zip(data, chunk, strict=True):
            if not result.get("id") and sent.get("id"):
                result["id"] = sent["id"]
            result.setdefault("errors", [])
            result["success"] = bool(result.get("success"))
        return data

    def create_task(
        self,
        subject: str,
        description: str | None,
        *,
        what_id: str | None = None,
        who_id: str | None = None,
        activity_date: date | str | None = None,
        status: str = "Completed",
    ) -> str:
        """A Task (an activity: a call, a meeting logged) on an account or opportunity
        (``what_id``) and/or a contact (``who_id``); its id. Not retried once sent, like
        :meth:`create`."""
        fields: dict[str, Any] = {"Subject": subject, "Status": status}
        if description:
            fields["Description"] = description
        if what_id:
            fields["WhatId"] = _record_id(what_id)
        if who_id:
            fields["WhoId"] = _record_id(who_id)
        if activity_date is not None:
            fields["ActivityDate"] = (
                activity_date.isoformat()
                if isinstance(activity_date, date)
                else str(activity_date)[:10]
            )
        return self.create("Task", fields)

    def create_note(self, title: str, content_text: str, linked_ids: Iterable[str]) -> str:
        """A ContentNote whose body is ``content_text`` (plain text, HTML-escaped as Salesforce
        requires: :func:`note_html`), linked to each record in ``linked_ids`` (a
        ContentDocumentLink each, viewer access, in one collection request per 200); the
        note's id, which is also its ContentDocument id.

        Creating the note is not retried once sent (like :meth:`create`); the links are, as a
        link that exists already is refused rather than doubled (and counted as done). When a
        link fails, ValidationFailed says so; its ``partial_results`` holds ``{"id": note}``.
        """
        if not str(title or "").strip():
            raise ValueError("A note needs a title")
        ids = [_record_id(i) for i in _unique(linked_ids)]
        content = base64.b64encode(note_html(content_text).encode("utf-8")).decode("ascii")
        note_id = self.create("ContentNote", {"Title": str(title).strip(), "Content": content})
        path = f"{self._data}/composite/sobjects"
        for chunk in _chunks(ids, COLLECTION_LIMIT):
            links = [
                {
                    "attributes": {"type": "ContentDocumentLink"},
                    "ContentDocumentId": note_id,
                    "LinkedEntityId": entity,
                    "ShareType": "V",
                }
                for entity in chunk
            ]
            try:
                data = self._api.request(
                    "POST", path, json={"allOrNone": False, "records": links}, idempotent=True
                )
                results = self._results(data, links, f"POST {path}")
            except CrmError as exc:
                exc.partial_results = [{"id": note_id}]
                raise
            failed = [
                (entity, e)
                for entity, r in zip(chunk, results, strict=True)
                if not r["success"]
                for e in r["errors"]
                if isinstance(e, dict) and e.get("statusCode") != "DUPLICATE_VALUE"
            ]
            if failed:
                entity, first = failed[0]
                said = self._api.scrub(f"{first.get('statusCode')}: {first.get('message')}")
                error = _tag(
                    ValidationFailed(
                        f"Salesforce saved the note but would not link it to {entity}"
                        f"{f' and {len(failed) - 1} more' if len(failed) > 1 else ''}: {said}",
                        status=400,
                    ),
                    str(first.get("statusCode") or "") or None,
                )
                error.partial_results = [{"id": note_id}]
                raise error
        return note_id
