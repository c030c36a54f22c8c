"""One pooled HTTP connection to a CRM's REST API, with our retry and rate-limit policy.

``ApiClient.request`` sends a request with a bearer token and returns the parsed JSON (None for
an empty reply), or raises one of :mod:`csmdesk.crm.errors`:

* **Retries** (5 by default) with exponential backoff and full jitter (base 0.5 s, cap 30 s)
  on 429, 423 (HubSpot's 2-second record lock), 477 (account migration), 5xx, connect/read
  errors, dropped connections, timeouts and unreadable 2xx bodies. ``Retry-After`` (seconds or
  an HTTP date) is honoured as given; longer than ``max_retry_after`` means "not now" and
  raises at once.
* **Writes that are not safe to repeat** (POST unless it is a search or a read, or the caller
  says ``idempotent=True``) are retried only when the server certainly did not act on them:
  429, 423, 477 and connections that never opened. After a dropped connection, a 5xx or an
  unreadable 2xx they raise with ``maybe_applied=True`` instead, so a create is never doubled
  behind the caller's back.
* **Proactive limiting** from ``X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds``:
  when Remaining falls to the reserve (0 by default), the next request waits until the oldest
  of our requests still in the rolling window has left it. Search requests also pass a
  client-side limiter (4 per second by default), HubSpot's search limit being per second.
* The token lives in the ``Authorization`` header only: no message, log line or repr here
  contains it, and anything the server sends back is scrubbed of it.
* Plain ``http://`` is accepted only for loopback hosts (tests); anything else must be https.

``sleep``, ``clock`` and ``rng`` are injectable so tests never wait.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

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

__all__ = ["DEFAULT_TIMEOUT", "LOOPBACK_HOSTS", "ApiClient", "check_base_url"]

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_TIMEOUT = httpx.Timeout(30, connect=10)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})

# The request never left: safe to send again whatever it was.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Retrying cannot help: the request itself is wrong.
_HOPELESS: tuple[type[Exception], ...] = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

_RATE_MAX = "X-HubSpot-RateLimit-Max"
_RATE_REMAINING = "X-HubSpot-RateLimit-Remaining"
_RATE_INTERVAL = "X-HubSpot-RateLimit-Interval-Milliseconds"
_CORRELATION = "X-HubSpot-Correlation-Id"
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)", re.IGNORECASE)
_LOCKED_FLOOR = 2.0  # HubSpot: "locks last 2 seconds"


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or ValueError when it is not https (plain http is
    allowed for loopback hosts only: a token must never cross a network in the clear)."""
    text = str(base_url).strip().rstrip("/")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        host = ""
    if scheme not in ("http", "https") or not host:
        raise ValueError("The CRM address must be a web address such as https://api.hubapi.com.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(
            "The CRM address must be a plain address (no user name, password, query or "
            "fragment), such as https://api.hubapi.com."
        )
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"Refusing to send the token over plain http to {host}: use https:// "
            "(http is allowed only for 127.0.0.1, localhost and ::1)."
        )
    return text


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _retry_after(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None when absent or bad."""
    raw = (headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _missing_scopes(body: Mapping[str, Any]) -> tuple[str, ...]:
    """Scopes a 403 names: ``errors[].context.requiredGranularScopes`` (or ``requiredScopes``),
    also accepted at the top level of ``context``."""
    contexts: list[Any] = [body.get("context")]
    errors = body.get("errors")
    if isinstance(errors, list):
        contexts += [e.get("context") for e in errors if isinstance(e, dict)]
    found: list[str] = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes"):
            values = context.get(key)
            if isinstance(values, list):
                found += [str(v) for v in values if v and str(v) not in found]
    return tuple(found)


class ApiClient:
    """One ``httpx.Client`` (a connection pool) for one base URL and bearer token.

    Thread-safe in the sense that counters and limiters are locked; requests from several
    threads share the pool. ``requests_made`` counts every attempt (retries included),
    ``retries`` the attempts that were repeats, ``waited`` the seconds spent in proactive
    rate-limit waits.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        search_per_second: float | None = 4.0,
        burst_reserve: int = 0,
        max_retry_after: float = 60.0,
        timeout: httpx.Timeout | None = None,
        service: str = "HubSpot",
    ) -> None:
        self.base_url = check_base_url(base_url)
        token = (token or "").strip()
        if not token or any(c.isspace() for c in token):
            raise ValueError(f"The {service} token is empty or malformed: paste it again.")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self._token = token
        self.service = service
        self.max_retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.burst_reserve = max(0, burst_reserve)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

        self.requests_made = 0
        self.retries = 0
        self.waited = 0.0
        # What HubSpot last said about the burst window (for diagnostics and the limiter).
        self.rate_limit_max: int | None = None
        self.rate_limit_remaining: int | None = None
        self._interval: float | None = None
        self._recent: deque[float] = deque(maxlen=2000)  # when our replies arrived
        self._resume_at: float | None = None

        self._search_limit = 0
        self._search_window = 1.0
        if search_per_second:
            self._search_window = max(1.0, 1.0 / search_per_second)
            self._search_limit = max(1, math.floor(search_per_second * self._search_window))
        self._searches: deque[float] = deque()

        self._client = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"CSM-Desk/{__version__}",
            },
            timeout=timeout or DEFAULT_TIMEOUT,
            follow_redirects=False,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r}, requests_made={self.requests_made})"

    def scrub(self, text: str) -> str:
        """``text`` with the token (should the server echo it) replaced."""
        return text.replace(self._token, "[token]") if self._token else text

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
    ) -> Any:
        """Send one request (retrying as the module describes); the parsed JSON reply, or None
        for 204 and empty bodies. ``idempotent`` defaults to True for searches and for GET, PUT,
        PATCH and DELETE, False for other POSTs."""
        method = method.upper()
        safe = (search or method in IDEMPOTENT_METHODS) if idempotent is None else idempotent
        where = f"{method} {path}"
        attempt = 0
        while True:
            self._wait_for_slot(search)
            with self._lock:
                self.requests_made += 1
            try:
                response = self._client.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                if search:
                    self._search_sent()
                sent = not isinstance(exc, _NOT_SENT)
                retryable = not isinstance(exc, _HOPELESS) and (safe or not sent)
                if retryable and attempt < self.max_retries:
                    self._pause(attempt, where, type(exc).__name__)
                    attempt += 1
                    continue
                raise NetworkError(
                    self._network_message(exc, attempt + 1, maybe_applied=sent and not safe),
                    maybe_applied=sent and not safe,
                ) from exc
            if search:
                self._search_sent()
            status = response.status_code
            correlation = response.headers.get(_CORRELATION)
            if status != 429:
                self._note_rate_headers(response)

            if 200 <= status < 300:
                try:
                    return None if status == 204 or not response.content else response.json()
                except ValueError:
                    if safe and attempt < self.max_retries:
                        self._pause(attempt, where, f"unreadable {status} reply")
                        attempt += 1
                        continue
                    message = f"{self.service} sent a reply CSM Desk could not read ({where})."
                    if not safe:
                        message += f" The change was probably saved in {self.service}."
                    raise MalformedResponse(
                        message, status=status, correlation_id=correlation, maybe_applied=not safe
                    ) from None

            body = _error_body(response)
            wait = _retry_after(response.headers)
            if status == 429:
                policy = str(body.get("policyName") or "")
                if policy.upper() == "DAILY":
                    raise RateLimited(
                        f"{self.service}'s daily API limit for this account is used up; "
                        "sync again tomorrow (or after midnight in the account's time zone).",
                        status=status,
                        correlation_id=correlation,
                    )
                if attempt < self.max_retries and (wait is None or wait <= self.max_retry_after):
                    floor = 0.0 if wait is not None else self._until_slot_frees(policy)
                    self._pause(attempt, where, f"429 {policy or 'rate limited'}", wait, floor)
                    attempt += 1
                    continue
                later = f" for {math.ceil(wait)} s" if wait and wait > self.max_retry_after else ""
                raise RateLimited(
                    f"{self.service} is limiting requests{later} (tried {attempt + 1} times); "
                    "sync again in a minute.",
                    status=status,
                    correlation_id=correlation,
                )
            if status >= 500 or status in (423, 477):
                not_applied = status in (423, 477)  # locked / migrating: nothing was done
                if (
                    (safe or not_applied)
                    and attempt < self.max_retries
                    and (wait is None or wait <= self.max_retry_after)
                ):
                    floor = _LOCKED_FLOOR if status == 423 else 0.0
                    self._pause(attempt, where, f"HTTP {status}", wait, floor)
                    attempt += 1
                    continue
                raise ServerError(
                    self._server_message(status, attempt + 1, wait, maybe_applied=not safe),
                    status=status,
                    correlation_id=correlation,
                    maybe_applied=not safe and not not_applied,
                )
            raise self._client_error(status, body, where, correlation)

    # ------------------------------------------------------------------ errors

    def _client_error(
        self, status: int, body: Mapping[str, Any], where: str, correlation: str | None
    ) -> CrmError:
        said = self.scrub(str(body.get("message") or "")).strip()
        if len(said) > 1000:
            said = said[:1000] + "…"
        if status == 401:
            message = (
                f"{self.service} refused the token: reconnect in Sync settings with the "
                "private app's current access token."
            )
            if str(body.get("category") or "") == "EXPIRED_AUTHENTICATION":
                message += f" ({self.service} says it has expired.)"
            return AuthError(message, status=status, correlation_id=correlation)
        if status == 403:
            scopes = _missing_scopes(body)
            if scopes:
                message = (
                    f"The {self.service} private app is missing a scope this needs "
                    f"({'one or more of: ' if len(scopes) > 1 else ''}{', '.join(scopes)}): add "
                    f"it to the app in {self.service} (Settings ▸ Integrations ▸ Private apps), "
                    "then reconnect in Sync settings."
                )
            else:
                message = f"{self.service} denied access ({where})" + (f": {said}" if said else ".")
            return AuthError(
                message, missing_scopes=scopes, status=status, correlation_id=correlation
            )
        if status == 404:
            return NotFound(
                f"{self.service} has no such record ({where}); it may have been deleted or merged.",
                status=status,
                correlation_id=correlation,
            )
        if status == 409:
            found = _EXISTING_ID.search(said)
            return Conflict(
                f"{self.service} already has this record" + (f": {said}" if said else "."),
                existing_id=found.group(1) if found else None,
                status=status,
                correlation_id=correlation,
            )
        return ValidationFailed(
            f"{self.service} rejected the request"
            + (f": {said}" if said else f" (HTTP {status})."),
            status=status,
            correlation_id=correlation,
        )

    def _network_message(self, exc: Exception, tries: int, *, maybe_applied: bool) -> str:
        if isinstance(exc, httpx.TimeoutException):
            what = "the connection timed out"
        elif isinstance(exc, httpx.ConnectError):
            what = "no connection could be made"
        elif isinstance(exc, _HOPELESS):
            what = "the request could not be sent"
        else:
            what = "the connection dropped"
        message = (
            f"Could not reach {self.service} ({what}; tried {tries} "
            f"{'time' if tries == 1 else 'times'}): check the internet connection and try again."
        )
        if maybe_applied:
            message += f" The change may or may not have been saved in {self.service}."
        return message

    def _server_message(
        self, status: int, tries: int, wait: float | None, *, maybe_applied: bool
    ) -> str:
        if status == 477:
            hours = f" (about {math.ceil(wait / 3600)} h)" if wait else ""
            return (
                f"{self.service} is moving this account to another data centre; sync again "
                f"later{hours}."
            )
        if status == 423:
            message = f"{self.service} has these records locked (HTTP 423)"
        else:
            message = f"{self.service} is having trouble (HTTP {status})"
        message += f", tried {tries} {'time' if tries == 1 else 'times'}; try again later."
        if maybe_applied and status >= 500:
            message += f" The change may or may not have been saved in {self.service}."
        return message

    # ------------------------------------------------------------------ waiting

    def _pause(
        self,
        attempt: int,
        where: str,
        reason: str,
        retry_after: float | None = None,
        floor: float = 0.0,
    ) -> None:
        if retry_after is not None:
            delay = retry_after
        else:
            delay = self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))
        delay = max(delay, floor)
        with self._lock:
            self.retries += 1
        log.info(
            "%s %s: %s; retry %d of %d in %.2f s",
            self.service,
            where,
            reason,
            attempt + 1,
            self.max_retries,
            delay,
        )
        self._sleep(delay)

    def _note_rate_headers(self, response: httpx.Response) -> None:
        """Remember this reply and what the burst headers say; when Remaining is at the
        reserve, the next request waits until enough of our requests left the window."""
        remaining = _int_header(response.headers, _RATE_REMAINING)
        interval_ms = _int_header(response.headers, _RATE_INTERVAL)
        now = self._clock()
        with self._lock:
            self._recent.append(now)
            self.rate_limit_max = _int_header(response.headers, _RATE_MAX)
            self.rate_limit_remaining = remaining
            if remaining is None or not interval_ms or interval_ms <= 0:
                return
            self._interval = interval_ms / 1000
            if remaining > self.burst_reserve:
                return
            # Our replies arrive after HubSpot counted the request, so each reply time + the
            # interval is a moment by which that request has certainly left the window.
            in_window = [t for t in self._recent if t > now - self._interval]
            need = self.burst_reserve - remaining + 1
            if len(in_window) >= need:
                resume = in_window[need - 1] + self._interval
            else:  # someone else shares the quota: the whole window is the safe bound
                resume = now + self._interval
            self._resume_at = max(self._resume_at or 0.0, resume)

    def _until_slot_frees(self, policy: str) -> float:
        """After a burst 429 with no Retry-After: when our own requests fill the window, how
        long until enough of them leave it (0 when they do not, or we do not know)."""
        if policy.upper() == "SECONDLY":  # the search limiter and the backoff handle that
            return 0.0
        with self._lock:
            limit = self.rate_limit_max
            if self._interval is None or not limit or limit <= 0:
                return 0.0
            now = self._clock()
            in_window = [t for t in self._recent if t > now - self._interval]
            if len(in_window) < limit:  # someone else's requests: back off, no more
                return 0.0
            return max(0.0, in_window[-limit] + self._interval - now)

    def _wait_for_slot(self, search: bool) -> None:
        with self._lock:
            now = self._clock()
            until = self._resume_at or 0.0
            if search and self._search_limit:
                while self._searches and self._searches[0] <= now - self._search_window:
                    self._searches.popleft()
                if len(self._searches) >= self._search_limit:
                    until = max(until, self._searches[0] + self._search_window)
            wait = until - now
            self._resume_at = None
            if wait > 0:
                self.waited += wait
        if wait > 0:
            log.debug("%s: waiting %.2f s for the rate limit", self.service, wait)
            self._sleep(wait)

    def _search_sent(self) -> None:
        # Recorded when the reply is in: by then HubSpot has certainly counted the search.
        with self._lock:
            self._searches.append(self._clock())
