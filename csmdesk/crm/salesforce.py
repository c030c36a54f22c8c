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
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

from csmdesk.crm.common import Page, chunks, to_ms, unique
from csmdesk.crm.errors import (
    CrmError,
    MalformedResponse,
    ValidationFailed,
)
from csmdesk.crm.salesforce_api import (
    _RECORD_ID,
    _VERSION,
    COLLECTION_LIMIT,
    DEFAULT_API_VERSION,
    IN_CHUNK,
    IN_CHUNK_CHARS,
    LOCATOR_RESTARTS,
    QUERY_BATCH_MAX,
    QUERY_BATCH_MIN,
    MultipleMatches,
    RequestLimitExceeded,
    SalesforceApi,
    SessionExpired,
    _field,
    _fields,
    _max_modstamp,
    _record_id,
    _sobject,
    _tag,
    error_code,
    note_html,
    soql_datetime,
    soql_literal,
    soql_quote,
)

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
        literals = unique(soql_literal(v) for v in values if v is not None and v != "")
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
        for chunk in chunks(items, COLLECTION_LIMIT):
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
        ids = [_record_id(i) for i in unique(linked_ids)]
        content = base64.b64encode(note_html(content_text).encode("utf-8")).decode("ascii")
        note_id = self.create("ContentNote", {"Title": str(title).strip(), "Content": content})
        path = f"{self._data}/composite/sobjects"
        for chunk in chunks(ids, COLLECTION_LIMIT):
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
