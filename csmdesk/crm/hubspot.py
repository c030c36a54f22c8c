"""HubSpot's CRM API as the sync needs it: objects, search, batches, associations, notes.

``HubSpotClient`` wraps one :class:`~csmdesk.crm.http.ApiClient` (the pool, retries and rate
limits) and knows HubSpot's endpoints, page and batch limits and reply shapes. A reply that is
not the documented shape raises :class:`~csmdesk.crm.errors.MalformedResponse`.

Incremental pulls (:meth:`HubSpotClient.iter_modified`) page by the last-modified date itself
rather than by search offsets: every page is a new search from the newest modified time seen
so far. HubSpot caps a search at 10,000 results, and offsets shift when a record is edited
mid-sync (it moves to the end and the record after it would be skipped); paging by value
never reaches the cap and never skips. Records sharing the boundary instant are not repeated.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from csmdesk.crm.common import Page, chunks, to_ms, unique
from csmdesk.crm.errors import CrmError, MalformedResponse
from csmdesk.crm.http import ApiClient

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_ASSOCIATION_TYPE_IDS",
    "DEFAULT_BASE_URL",
    "SEARCH_RESULT_CAP",
    "HubSpotClient",
    "Page",
    "modified_property",
    "to_ms",
]

DEFAULT_BASE_URL = "https://api.hubapi.com"
SEARCH_RESULT_CAP = 10_000  # a search never pages past this many results
BATCH_LIMIT = 100  # inputs per batch read/create/update
ASSOCIATION_BATCH = 100  # ids per v4 associations batch read
LIST_PAGE_MAX = 100
SEARCH_PAGE_MAX = 200
OWNERS_PAGE = 100
MAX_FILTER_GROUPS = 5
IN_VALUES_MAX = 100

# HubSpot-defined, unlabeled ("default") association type ids, from -> to.
DEFAULT_ASSOCIATION_TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("notes", "companies"): 190,
    ("companies", "notes"): 189,
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("notes", "deals"): 214,
    ("deals", "notes"): 213,
}
NOTE_TO_COMPANY = 190
NOTE_TO_CONTACT = 202
NOTE_TO_DEAL = 214

_SAFE_TYPE = re.compile(r"[A-Za-z0-9_-]+")


def modified_property(object_type: str) -> str:
    """The last-modified property search can filter and sort on (contacts differ)."""
    return (
        "lastmodifieddate"
        if object_type in ("contacts", "contact", "0-1")
        else ("hs_lastmodifieddate")
    )


def _record_ms(record: Mapping[str, Any], prop: str) -> int | None:
    props = record.get("properties")
    value = props.get(prop) if isinstance(props, Mapping) else None
    return to_ms(value) if value not in (None, "") else to_ms(record.get("updatedAt"))


def _max_ms(records: Iterable[Mapping[str, Any]], prop: str) -> int | None:
    stamps = [ms for r in records if (ms := _record_ms(r, prop)) is not None]
    return max(stamps) if stamps else None


def _without(
    results: list[dict[str, Any]], ids: set[str], prop: str, at: int | None
) -> list[dict[str, Any]]:
    """``results`` less the records in ``ids`` still modified at ``at`` (already returned)."""
    return [r for r in results if not (r["id"] in ids and _record_ms(r, prop) == at)]


class HubSpotClient:
    """HubSpot's CRM over one pooled connection; a context manager (``close()`` on exit).

    ``token`` is a private app's access token. Object types are HubSpot's names
    ("companies", "contacts", "deals", "notes", or a custom object's id).
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        search_per_second: float = 4.0,
        burst_reserve: int = 0,
    ) -> None:
        self._api = ApiClient(
            base_url or DEFAULT_BASE_URL,
            token,
            retries=retries,
            sleep=sleep,
            clock=clock,
            rng=rng,
            search_per_second=search_per_second,
            burst_reserve=burst_reserve,
        )
        self._token = token.strip()

    # ------------------------------------------------------------------ lifecycle

    @property
    def api(self) -> ApiClient:
        return self._api

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent so far, retries included."""
        return self._api.requests_made

    @property
    def retries(self) -> int:
        return self._api.retries

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HubSpotClient({self.base_url!r}, requests_made={self.requests_made})"

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def _type(object_type: str) -> str:
        if not _SAFE_TYPE.fullmatch(object_type or ""):
            raise ValueError(f"Not a HubSpot object type: {object_type!r}")
        return object_type

    @staticmethod
    def _id(object_id: str | int) -> str:
        text = str(object_id).strip()
        if not text:
            raise ValueError("A HubSpot record id cannot be empty")
        return quote(text, safe="")

    def _object(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise MalformedResponse(f"HubSpot sent an unexpected reply ({where}).")
        return data

    def _results(self, data: Any, where: str) -> list[dict[str, Any]]:
        body = self._object(data, where)
        results = body.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise MalformedResponse(f"HubSpot sent an unexpected reply ({where}).")
        return results

    def _records(self, data: Any, where: str) -> list[dict[str, Any]]:
        """``results`` whose entries each carry an ``id`` (as a string)."""
        results = self._results(data, where)
        for record in results:
            if record.get("id") in (None, ""):
                raise MalformedResponse(f"HubSpot sent a record without an id ({where}).")
            record["id"] = str(record["id"])
        return results

    def _record(self, data: Any, where: str) -> dict[str, Any]:
        record = self._object(data, where)
        if record.get("id") in (None, ""):
            raise MalformedResponse(f"HubSpot sent a record without an id ({where}).")
        record["id"] = str(record["id"])
        return record

    @staticmethod
    def _next_after(data: Mapping[str, Any]) -> str | None:
        paging = data.get("paging")
        nxt = paging.get("next") if isinstance(paging, dict) else None
        after = nxt.get("after") if isinstance(nxt, dict) else None
        return str(after) if after not in (None, "") else None

    def _search(self, object_type: str, body: dict[str, Any]) -> tuple[list[dict], str | None]:
        path = f"/crm/v3/objects/{self._type(object_type)}/search"
        data = self._api.request("POST", path, json=body, search=True)
        results = self._records(data, f"POST {path}")
        return results, self._next_after(data)

    def _paged(
        self, path: str, params: dict[str, Any], where: str
    ) -> Iterator[list[dict[str, Any]]]:
        """GET every page of a list endpoint that pages with ``paging.next.after``."""
        after: str | None = None
        seen: set[str] = set()
        while True:
            query = dict(params)
            if after is not None:
                query["after"] = after
            data = self._api.request("GET", path, params=query)
            yield self._results(data, where)
            after = self._next_after(data)
            if after is None:
                return
            if after in seen:
                raise MalformedResponse(f"HubSpot's paging went round in a circle ({where}).")
            seen.add(after)

    # ------------------------------------------------------------------ account

    def account_details(self) -> dict[str, Any]:
        """Portal id, time zone, currency, UI domain, data hosting location."""
        path = "/account-info/v3/details"
        return self._object(self._api.request("GET", path), f"GET {path}")

    def token_info(self) -> dict[str, Any]:
        """The private app token's ``userId``, ``hubId``, ``appId`` and ``scopes``."""
        path = "/oauth/v2/private-apps/get/access-token-info"
        data = self._api.request("POST", path, json={"tokenKey": self._token}, idempotent=True)
        info = self._object(data, f"POST {path}")
        if not isinstance(info.get("scopes", []), list):
            raise MalformedResponse(f"HubSpot sent an unexpected reply (POST {path}).")
        return info

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        """Every property definition of ``object_type`` (name, label, type, options...)."""
        path = f"/crm/v3/properties/{self._type(object_type)}"
        data = self._api.request("GET", path, params={"archived": "false"})
        return self._results(data, f"GET {path}")

    def owners(self) -> list[dict[str, Any]]:
        """Every active owner (all pages)."""
        path = "/crm/v3/owners"
        out: list[dict[str, Any]] = []
        for page in self._paged(path, {"limit": OWNERS_PAGE, "archived": "false"}, f"GET {path}"):
            out += page
        return out

    # ------------------------------------------------------------------ reading

    def list_page(
        self,
        object_type: str,
        properties: Sequence[str],
        *,
        after: str | None = None,
        limit: int = 100,
        associations: Sequence[str] = (),
        archived: bool = False,
    ) -> Page:
        """One page (≤100) of every live (or, with ``archived``, archived) record, in id
        order; ``page.after`` continues."""
        path = f"/crm/v3/objects/{self._type(object_type)}"
        params: dict[str, Any] = {
            "limit": max(1, min(int(limit), LIST_PAGE_MAX)),
            "archived": "true" if archived else "false",
        }
        if properties:
            params["properties"] = ",".join(properties)
        if associations:
            params["associations"] = ",".join(associations)
        if after:
            params["after"] = after
        data = self._api.request("GET", path, params=params)
        results = self._records(data, f"GET {path}")
        return Page(
            results,
            self._next_after(data),
            _max_ms(results, modified_property(object_type)),
        )

    def search_modified_page(
        self,
        object_type: str,
        since_ms: int | None,
        properties: Sequence[str],
        *,
        after: str | None = None,
        limit: int = 100,
    ) -> Page:
        """One page of the records modified at or after ``since_ms`` (all when None), oldest
        change first. Offsets (``after``) stop at HubSpot's 10,000-result cap: to read
        everything, use :meth:`iter_modified`."""
        prop = modified_property(object_type)
        body: dict[str, Any] = {
            "filterGroups": (
                []
                if since_ms is None
                else [
                    {"filters": [{"propertyName": prop, "operator": "GTE", "value": str(since_ms)}]}
                ]
            ),
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
            "properties": unique([*properties, prop]),
            "limit": max(1, min(int(limit), SEARCH_PAGE_MAX)),
        }
        if after:
            body["after"] = str(after)
        results, next_after = self._search(object_type, body)
        return Page(results, next_after, _max_ms(results, prop))

    def iter_modified(
        self,
        object_type: str,
        since_ms: int | None,
        properties: Sequence[str],
        *,
        limit: int = 100,
    ) -> Iterator[Page]:
        """Every record modified at or after ``since_ms`` (all when None), oldest change first,
        one page per search.

        Each page after the first is a new search from the newest modified time seen (GTE that
        value), so HubSpot's 10,000-result cap is never reached and a record edited meanwhile
        cannot shift offsets and make another one skipped; the records already returned at
        that boundary instant are left out. A record edited during the iteration comes back
        later with its new version. When a whole page shares one instant, that instant is
        walked by record id. ``page.after`` is always None here.
        """
        prop = modified_property(object_type)
        props = unique([*properties, prop, "hs_object_id"])
        since = since_ms
        boundary: set[str] = set()  # ids returned already whose modified time is ``since``
        while True:
            page = self.search_modified_page(object_type, since, props, limit=limit)
            if page.after is None:  # the last page
                rest = _without(page.results, boundary, prop, since)
                if rest:
                    yield Page(rest, None, _max_ms(rest, prop))
                return
            top = page.max_modified_ms
            if top is None:
                raise MalformedResponse(
                    f"HubSpot's search returned {object_type} without a modified date."
                )
            if since is not None and top <= since:
                # A whole page at the instant ``since``: walk it by id, then go past it.
                yield from self._iter_instant(object_type, since, props, limit, boundary)
                since, boundary = since + 1, set()
                continue
            rest = _without(page.results, boundary, prop, since)
            yield Page(rest, None, _max_ms(rest, prop))
            boundary = {r["id"] for r in page.results if _record_ms(r, prop) == top}
            since = top

    def _iter_instant(
        self,
        object_type: str,
        at_ms: int,
        properties: list[str],
        limit: int,
        skip: set[str],
    ) -> Iterator[Page]:
        """Every record modified exactly at ``at_ms``, by id (paging by id, not offset)."""
        prop = modified_property(object_type)
        last_id: str | None = None
        while True:
            filters: list[dict[str, Any]] = [
                {"propertyName": prop, "operator": "EQ", "value": str(at_ms)}
            ]
            if last_id is not None:
                filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": last_id})
            body = {
                "filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": properties,
                "limit": max(1, min(int(limit), SEARCH_PAGE_MAX)),
            }
            results, after = self._search(object_type, body)
            rest = [r for r in results if r["id"] not in skip]
            if rest:
                yield Page(rest, None, at_ms)
            if after is None or not results:
                return
            ids = [r["id"] for r in results]
            highest = max(ids, key=lambda i: (len(i), i))  # numeric strings
            if last_id is not None and (len(highest), highest) <= (len(last_id), last_id):
                raise MalformedResponse("HubSpot's search by id did not advance.")
            last_id = highest

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str | int],
        properties: Sequence[str],
        *,
        id_property: str | None = None,
    ) -> list[dict[str, Any]]:
        """The live records among ``ids`` (≤100 per request); missing ones are left out."""
        path = f"/crm/v3/objects/{self._type(object_type)}/batch/read"
        out: list[dict[str, Any]] = []
        for chunk in chunks(unique(ids), BATCH_LIMIT):
            body: dict[str, Any] = {
                "properties": list(properties),
                "inputs": [{"id": i} for i in chunk],
            }
            if id_property:
                body["idProperty"] = id_property
            data = self._api.request("POST", path, json=body, idempotent=True)
            out += self._records(data, f"POST {path}")
        return out

    def find_by_property(
        self,
        object_type: str,
        prop: str,
        values: Sequence[str],
        properties: Sequence[str],
        *,
        operator: str = "IN",
    ) -> list[dict[str, Any]]:
        """Records whose ``prop`` matches any of ``values``: one IN filter per 100 values, or
        with another single-value operator (EQ, CONTAINS_TOKEN...) one filter group per value,
        five to a search. Each record once, in the order found."""
        wanted = unique(values)
        if prop == "email":  # HubSpot keeps emails lower-cased
            wanted = unique(v.strip().lower() for v in wanted)
        operator = operator.upper()
        if operator in ("IN", "NOT_IN"):
            groups = [
                [{"filters": [{"propertyName": prop, "operator": operator, "values": chunk}]}]
                for chunk in chunks(wanted, IN_VALUES_MAX)
            ]
        else:
            groups = [
                [
                    {"filters": [{"propertyName": prop, "operator": operator, "value": v}]}
                    for v in chunk
                ]
                for chunk in chunks(wanted, MAX_FILTER_GROUPS)
            ]
        found: dict[str, dict[str, Any]] = {}
        for filter_groups in groups:
            after: str | None = None
            while True:
                body: dict[str, Any] = {
                    "filterGroups": filter_groups,
                    "properties": unique([*properties, prop]),
                    "limit": SEARCH_PAGE_MAX,
                }
                if after:
                    body["after"] = after
                results, after = self._search(object_type, body)
                for record in results:
                    found.setdefault(record["id"], record)
                if after is None or (after.isdigit() and int(after) >= SEARCH_RESULT_CAP):
                    break
        return list(found.values())

    def associations(
        self, from_type: str, to_type: str, ids: Sequence[str | int]
    ) -> dict[str, list[str]]:
        """``{from id: [to ids]}`` for every id asked for ([] when it has none); v4 batch
        reads of ≤100 ids, following each record's own paging."""
        path = f"/crm/v4/associations/{self._type(from_type)}/{self._type(to_type)}/batch/read"
        where = f"POST {path}"
        wanted = unique(ids)
        out: dict[str, list[str]] = {i: [] for i in wanted}
        for chunk in chunks(wanted, ASSOCIATION_BATCH):
            queue: list[dict[str, str]] = [{"id": i} for i in chunk]
            asked: set[tuple[str, str]] = set()
            while queue:
                data = self._api.request("POST", path, json={"inputs": queue}, idempotent=True)
                queue = []
                for entry in self._results(data, where):
                    source = entry.get("from")
                    if not isinstance(source, dict) or source.get("id") in (None, ""):
                        raise MalformedResponse(f"HubSpot sent an unexpected reply ({where}).")
                    from_id = str(source["id"])
                    links = out.setdefault(from_id, [])
                    targets = entry.get("to") or []
                    if not isinstance(targets, list):
                        raise MalformedResponse(f"HubSpot sent an unexpected reply ({where}).")
                    for target in targets:
                        to_id = target.get("toObjectId") if isinstance(target, dict) else None
                        if to_id in (None, ""):
                            raise MalformedResponse(f"HubSpot sent an unexpected reply ({where}).")
                        if str(to_id) not in links:
                            links.append(str(to_id))
                    after = self._next_after(entry)
                    if after is not None:
                        if (from_id, after) in asked:
                            raise MalformedResponse(
                                f"HubSpot's paging went round in a circle ({where})."
                            )
                        asked.add((from_id, after))
                        queue.append({"id": from_id, "after": after})
        return out

    # ------------------------------------------------------------------ writing

    @staticmethod
    def _association_specs(
        from_type: str, associations: Iterable[Sequence[Any]]
    ) -> list[dict[str, Any]]:
        """``(to_type, to_id)`` (the default type) or ``(to_type, to_id, type_id)``."""
        specs = []
        for spec in associations:
            if len(spec) == 3:
                to_type, to_id, type_id = spec
            elif len(spec) == 2:
                to_type, to_id = spec
                type_id = DEFAULT_ASSOCIATION_TYPE_IDS.get((from_type, str(to_type)))
                if type_id is None:
                    raise ValueError(f"No default association from {from_type} to {to_type}")
            else:
                raise ValueError(f"An association is (to_type, to_id[, type_id]), not {spec!r}")
            specs.append(
                {
                    "to": {"id": str(to_id)},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": int(type_id),
                        }
                    ],
                }
            )
        return specs

    def create(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        associations: Iterable[Sequence[Any]] = (),
    ) -> dict[str, Any]:
        """Create one record, associated with ``(to_type, to_id)`` pairs (default types).

        Not retried once sent (only when the connection never opened, or on 429): after an
        error with ``maybe_applied`` the record may exist, so look before creating again."""
        path = f"/crm/v3/objects/{self._type(object_type)}"
        body: dict[str, Any] = {"properties": dict(properties)}
        specs = self._association_specs(object_type, associations)
        if specs:
            body["associations"] = specs
        return self._record(self._api.request("POST", path, json=body), f"POST {path}")

    def batch_create(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Create records from ``[{"properties": {...}, "associations": [...]}]``, ≤100 per
        request. HubSpot does not promise the results in input order. When a later chunk fails,
        the error's ``partial_results`` holds what earlier chunks created."""
        path = f"/crm/v3/objects/{self._type(object_type)}/batch/create"
        out: list[dict[str, Any]] = []
        for chunk in chunks(list(inputs), BATCH_LIMIT):
            try:
                data = self._api.request("POST", path, json={"inputs": [dict(i) for i in chunk]})
            except CrmError as exc:
                exc.partial_results = list(out)
                raise
            out += self._records(data, f"POST {path}")
        return out

    def batch_update(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Update ``[{"id": ..., "properties": {...}}]``, ≤100 per request (safe to repeat,
        so retried); ids that no longer exist are left out of the results."""
        path = f"/crm/v3/objects/{self._type(object_type)}/batch/update"
        out: list[dict[str, Any]] = []
        for chunk in chunks(list(inputs), BATCH_LIMIT):
            body = {
                "inputs": [
                    {"id": str(i["id"]), "properties": dict(i.get("properties") or {})}
                    for i in chunk
                ]
            }
            try:
                data = self._api.request("POST", path, json=body, idempotent=True)
            except CrmError as exc:
                exc.partial_results = list(out)
                raise
            out += self._records(data, f"POST {path}")
        return out

    def update(
        self, object_type: str, object_id: str | int, properties: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = f"/crm/v3/objects/{self._type(object_type)}/{self._id(object_id)}"
        data = self._api.request("PATCH", path, json={"properties": dict(properties)})
        return self._record(data, f"PATCH {path}")

    def archive(self, object_type: str, object_id: str | int) -> None:
        """Move a record to HubSpot's recycling bin (a no-op when it is already gone)."""
        path = f"/crm/v3/objects/{self._type(object_type)}/{self._id(object_id)}"
        self._api.request("DELETE", path)

    def associate_default(
        self, from_type: str, from_id: str | int, to_type: str, to_id: str | int
    ) -> None:
        """Associate two records with the unlabeled (default) type, both directions."""
        path = (
            f"/crm/v4/objects/{self._type(from_type)}/{self._id(from_id)}/associations/default/"
            f"{self._type(to_type)}/{self._id(to_id)}"
        )
        self._api.request("PUT", path)

    def create_note(
        self,
        body_html: str,
        timestamp_ms: int,
        *,
        company_ids: Iterable[str | int] = (),
        contact_ids: Iterable[str | int] = (),
        deal_ids: Iterable[str | int] = (),
        extra_properties: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A note (``hs_note_body`` HTML, ``hs_timestamp``) on companies, contacts and deals.
        Not retried once sent, like :meth:`create`."""
        properties: dict[str, Any] = {
            **dict(extra_properties or {}),
            "hs_note_body": body_html,
            "hs_timestamp": str(int(timestamp_ms)),
        }
        links = [("companies", i, NOTE_TO_COMPANY) for i in unique(company_ids)]
        links += [("contacts", i, NOTE_TO_CONTACT) for i in unique(contact_ids)]
        links += [("deals", i, NOTE_TO_DEAL) for i in unique(deal_ids)]
        return self.create("notes", properties, links)
