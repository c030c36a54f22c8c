"""The fake HubSpot behaves as HubSpot documents it (the wire shapes a client will rely on)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.crm.hubspot_fake import (
    DEFAULT_ASSOCIATION_TYPE_IDS,
    HubSpotFake,
    iso_ms,
    parse_time_ms,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RATE_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


def call(
    fake: HubSpotFake,
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, Any] | None = None,
    token: str | None = "<fake>",
) -> Reply:
    """One request on a fresh connection, the way any HTTP client would send it."""
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {fake.token if token == '<fake>' else token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.fixture
def fake(make_hubspot_fake) -> HubSpotFake:  # type: ignore[no-untyped-def]
    """A fake on a fixed clock, with limits loose enough that tests never trip them."""
    return make_hubspot_fake(
        start_time=START, real_time=False, burst_limit=10_000, search_per_second=10_000
    )


# ---------------------------------------------------------------- objects: list, get, write


def test_paging_through_250_companies(fake: HubSpotFake) -> None:
    fake.add_companies(250)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        query = {"limit": 100, **({"after": after} if after else {})}
        reply = call(fake, "GET", "/crm/v3/objects/companies", query=query)
        assert reply.status == 200
        page = reply.json
        pages += 1
        seen += [r["id"] for r in page["results"]]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
        assert page["paging"]["next"]["link"].startswith(fake.base_url)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen, key=int)
    assert fake.count("GET /crm/v3/objects/companies") == 3
    first = fake.objects("companies")[0]
    assert first["properties"]["name"] == "Company 0001"


def test_list_defaults_to_ten_and_its_link_can_be_followed(fake: HubSpotFake) -> None:
    fake.add_companies(15)
    first = call(fake, "GET", "/crm/v3/objects/companies").json
    assert len(first["results"]) == 10
    link = first["paging"]["next"]["link"]
    request = urllib.request.Request(link, headers={"Authorization": f"Bearer {fake.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        second = json.loads(response.read())
    assert len(second["results"]) == 5
    assert "paging" not in second
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


def test_list_limit_is_capped_at_100(fake: HubSpotFake) -> None:
    fake.add_companies(120)
    reply = call(fake, "GET", "/crm/v3/objects/companies", query={"limit": 500})
    assert len(reply.json["results"]) == 100
    assert "paging" in reply.json


def test_records_carry_the_documented_shape_and_default_properties(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme", domain="acme.example")
    contact = fake.add_contact("Ann@Acme.Example", firstname="Ann", lastname="Lee")
    note = fake.add_note("Kick-off call", company=company)
    got = call(fake, "GET", f"/crm/v3/objects/companies/{company['id']}").json
    assert set(got) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert got["archived"] is False
    assert got["createdAt"] == iso_ms(parse_time_ms(START.isoformat()) or 0)
    assert set(got["properties"]) == {
        "createdate",
        "domain",
        "hs_lastmodifieddate",
        "hs_object_id",
        "name",
    }
    assert got["properties"]["hs_object_id"] == company["id"]
    assert got["properties"]["hs_lastmodifieddate"] == got["updatedAt"]
    people = call(fake, "GET", f"/crm/v3/objects/contacts/{contact['id']}").json
    assert set(people["properties"]) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }
    assert people["properties"]["email"] == "ann@acme.example"  # HubSpot lower-cases emails
    notes = call(fake, "GET", f"/crm/v3/objects/notes/{note['id']}").json
    assert set(notes["properties"]) == {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}


def test_only_requested_properties_are_returned(fake: HubSpotFake) -> None:
    fake.add_company("Acme", arr=120000)
    reply = call(
        fake,
        "GET",
        "/crm/v3/objects/companies",
        query={"properties": "arr,renewal_date,no_such_property"},
    )
    props = reply.json["results"][0]["properties"]
    assert props.pop("arr") == "120000"
    assert props.pop("renewal_date") is None  # asked for, not set
    assert set(props) == {"createdate", "hs_lastmodifieddate", "hs_object_id"}
    # The repeated form works too.
    reply = call(fake, "GET", "/crm/v3/objects/companies", query={"properties": ["name", "domain"]})
    assert {"name", "domain"} <= set(reply.json["results"][0]["properties"])


def test_get_patch_delete_and_archived_objects(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme")
    path = f"/crm/v3/objects/companies/{company['id']}"
    before = call(fake, "GET", path).json
    fake.advance(5)
    patched = call(fake, "PATCH", path, {"properties": {"name": "Acme Ltd", "arr": 5000}})
    assert patched.status == 200
    assert patched.json["properties"]["name"] == "Acme Ltd"
    assert patched.json["properties"]["arr"] == "5000"
    after = call(fake, "GET", path).json
    gap = parse_time_ms(after["updatedAt"]) - parse_time_ms(before["updatedAt"])  # type: ignore[operator]
    assert gap >= 5000
    assert after["properties"]["hs_lastmodifieddate"] == after["updatedAt"]
    assert after["createdAt"] == before["createdAt"]

    assert call(fake, "DELETE", path).status == 204
    gone = call(fake, "GET", path)
    assert gone.status == 404
    assert gone.json["status"] == "error"
    assert gone.json["category"] == "OBJECT_NOT_FOUND"
    assert gone.json["message"].startswith("Object not found")
    assert call(fake, "PATCH", path, {"properties": {"name": "x"}}).status == 404
    archived = call(fake, "GET", path, query={"archived": "true"}).json
    assert archived["archived"] is True and "archivedAt" in archived
    listed = call(fake, "GET", "/crm/v3/objects/companies", query={"archived": "true"}).json
    assert [r["id"] for r in listed["results"]] == [company["id"]]
    assert call(fake, "GET", "/crm/v3/objects/companies").json["results"] == []
    assert fake.objects("companies") == []
    assert fake.objects("companies", archived=True)[0]["id"] == company["id"]


def test_modified_dates_are_monotonic_even_within_one_millisecond(fake: HubSpotFake) -> None:
    # The clock is frozen (real_time=False): every write still gets a later stamp.
    ids = [
        call(fake, "POST", "/crm/v3/objects/companies", {"properties": {"name": f"C{i}"}}).json[
            "id"
        ]
        for i in range(5)
    ]
    stamps = [fake.get("companies", i)["properties"]["hs_lastmodifieddate"] for i in ids]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    assert stamps[0].endswith("Z") and len(stamps[0]) == len("2026-03-01T09:00:00.000Z")
    start = parse_time_ms(START.isoformat()) or 0
    assert parse_time_ms(stamps[-1]) == start + 4  # five writes within one frozen millisecond
    fake.advance(60)
    touched = fake.touch("companies", ids[0])[0]
    assert parse_time_ms(touched["properties"]["hs_lastmodifieddate"]) == start + 60_000
    assert parse_time_ms(touched["updatedAt"]) == start + 60_000
    modified = fake.modify("companies", ids[1], name="Renamed")[0]
    assert modified["properties"]["name"] == "Renamed"
    assert modified["updatedAt"] > touched["updatedAt"]


def test_create_with_associations_and_read_them_back_in_v4(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme")
    created = call(
        fake,
        "POST",
        "/crm/v3/objects/contacts",
        {
            "properties": {"email": "ann@acme.example", "firstname": "Ann"},
            "associations": [
                {
                    "to": {"id": company["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        },
    )
    assert created.status == 201
    contact_id = created.json["id"]
    assert created.json["properties"]["email"] == "ann@acme.example"
    forward = call(fake, "GET", f"/crm/v4/objects/contacts/{contact_id}/associations/companies")
    assert forward.json["results"] == [
        {
            "toObjectId": int(company["id"]),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
            ],
        }
    ]
    back = call(fake, "GET", f"/crm/v4/objects/companies/{company['id']}/associations/contacts")
    (entry,) = back.json["results"]
    assert entry["toObjectId"] == int(contact_id)
    assert {t["typeId"] for t in entry["associationTypes"]} == {2, 280}
    # v3 reads can carry associations too.
    with_assoc = call(
        fake,
        "GET",
        f"/crm/v3/objects/contacts/{contact_id}",
        query={"associations": "companies"},
    ).json
    types = {r["type"] for r in with_assoc["associations"]["companies"]["results"]}
    assert types == {"contact_to_company", "contact_to_company_unlabeled"}
    assert fake.associated_ids("companies", company["id"], "contacts") == [contact_id]


def test_create_rejects_an_association_to_a_missing_record(fake: HubSpotFake) -> None:
    reply = call(
        fake,
        "POST",
        "/crm/v3/objects/notes",
        {
            "properties": {"hs_note_body": "x", "hs_timestamp": "2026-03-01T09:00:00Z"},
            "associations": [
                {
                    "to": {"id": "999999"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}],
                }
            ],
        },
    )
    assert reply.status == 400
    assert reply.json["category"] == "VALIDATION_ERROR"
    assert fake.objects("notes") == []


def test_duplicate_contact_email_is_a_conflict_naming_the_existing_id(fake: HubSpotFake) -> None:
    existing = fake.add_contact("ann@acme.example")
    reply = call(
        fake, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ANN@acme.example"}}
    )
    assert reply.status == 409
    assert reply.json["status"] == "error"
    assert reply.json["category"] == "CONFLICT"
    assert reply.json["message"] == f"Contact already exists. Existing ID: {existing['id']}"
    assert "correlationId" in reply.json
    assert len(fake.objects("contacts")) == 1
    other = fake.add_contact("bob@acme.example")
    clash = call(
        fake,
        "PATCH",
        f"/crm/v3/objects/contacts/{other['id']}",
        {"properties": {"email": "ann@acme.example"}},
    )
    assert clash.status == 409
    # Once archived, the address is free again.
    fake.archive("contacts", existing)
    again = call(
        fake, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ann@acme.example"}}
    )
    assert again.status == 201


def test_get_by_id_property(fake: HubSpotFake) -> None:
    contact = fake.add_contact("ann@acme.example")
    reply = call(
        fake,
        "GET",
        "/crm/v3/objects/contacts/Ann@Acme.example",
        query={"idProperty": "email"},
    )
    assert reply.status == 200 and reply.json["id"] == contact["id"]


def test_write_validation_matches_hubspot(fake: HubSpotFake) -> None:
    unknown = call(fake, "POST", "/crm/v3/objects/companies", {"properties": {"nope": "1"}})
    assert unknown.status == 400
    assert unknown.json["category"] == "VALIDATION_ERROR"
    assert unknown.json["message"].startswith("Property values were not valid")
    assert "PROPERTY_DOESNT_EXIST" in unknown.json["message"]
    bad_number = call(fake, "POST", "/crm/v3/objects/companies", {"properties": {"arr": "lots"}})
    assert bad_number.status == 400
    bad_stage = call(fake, "POST", "/crm/v3/objects/deals", {"properties": {"dealstage": "won"}})
    assert bad_stage.status == 400 and "INVALID_OPTION" in bad_stage.json["message"]
    bad_date = call(
        fake, "POST", "/crm/v3/objects/companies", {"properties": {"renewal_date": "soon"}}
    )
    assert bad_date.status == 400
    no_timestamp = call(
        fake, "POST", "/crm/v3/objects/notes", {"properties": {"hs_note_body": "x"}}
    )
    assert no_timestamp.status == 400 and "hs_timestamp" in no_timestamp.json["message"]
    not_json = call(fake, "POST", "/crm/v3/objects/companies", None)
    assert not_json.status == 400
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request(
        "POST",
        "/crm/v3/objects/companies",
        body=b'{"properties": {',
        headers={"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"},
    )
    broken = conn.getresponse()
    assert broken.status == 400
    assert json.loads(broken.read())["message"].startswith("Invalid input JSON")
    conn.close()
    assert fake.objects("companies") == [] and fake.objects("notes") == []
    assert fake.server_errors == []


def test_dates_are_normalized_like_hubspot(fake: HubSpotFake) -> None:
    reply = call(
        fake,
        "POST",
        "/crm/v3/objects/companies",
        {"properties": {"name": "Acme", "renewal_date": "2027-01-31"}},
    )
    assert reply.json["properties"]["renewal_date"] == "2027-01-31"
    midnight_ms = parse_time_ms("2027-06-30")
    reply = call(
        fake,
        "PATCH",
        f"/crm/v3/objects/companies/{reply.json['id']}",
        {"properties": {"renewal_date": str(midnight_ms)}},
    )
    assert reply.json["properties"]["renewal_date"] == "2027-06-30"
    deal = call(
        fake,
        "POST",
        "/crm/v3/objects/deals",
        {"properties": {"dealname": "D", "closedate": 1767225600000}},
    )
    assert deal.json["properties"]["closedate"] == "2026-01-01T00:00:00.000Z"


# ---------------------------------------------------------------- batch


def test_batch_read_reports_missing_ids_with_207(fake: HubSpotFake) -> None:
    companies = fake.add_companies(3)
    reply = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/read",
        {
            "inputs": [{"id": c["id"]} for c in companies] + [{"id": "424242"}],
            "properties": ["name"],
        },
    )
    assert reply.status == 207
    body = reply.json
    assert body["status"] == "COMPLETE"
    assert {"startedAt", "completedAt"} <= set(body)
    assert [r["id"] for r in body["results"]] == [c["id"] for c in companies]
    assert "name" in body["results"][0]["properties"]
    assert body["numErrors"] == 1
    (error,) = body["errors"]
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["context"]["ids"] == ["424242"]
    complete = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/read",
        {"inputs": [{"id": companies[0]["id"]}]},
    )
    assert complete.status == 200 and "errors" not in complete.json


def test_batch_read_by_a_custom_unique_id_property(fake: HubSpotFake) -> None:
    described = fake.add_property("companies", "csm_account_id", "CSM account id", unique=True)
    assert described["hasUniqueValue"] is True
    acme = fake.add_company("Acme", csm_account_id="ACC-1")
    fake.add_company("Globex", csm_account_id="ACC-2")
    reply = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/read",
        {
            "idProperty": "csm_account_id",
            "inputs": [{"id": "ACC-1"}, {"id": "ACC-9"}],
            "properties": ["csm_account_id", "name"],
        },
    )
    assert reply.status == 207
    assert [r["id"] for r in reply.json["results"]] == [acme["id"]]
    assert reply.json["results"][0]["properties"]["csm_account_id"] == "ACC-1"
    assert reply.json["errors"][0]["context"]["ids"] == ["ACC-9"]
    not_unique = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/read",
        {"idProperty": "name", "inputs": [{"id": "Acme"}]},
    )
    assert not_unique.status == 400
    dup = call(
        fake,
        "POST",
        "/crm/v3/objects/companies",
        {"properties": {"name": "Other", "csm_account_id": "ACC-2"}},
    )
    assert dup.status == 409


@pytest.mark.parametrize("op", ["read", "create", "update", "archive", "upsert"])
def test_batches_over_100_inputs_are_refused(fake: HubSpotFake, op: str) -> None:
    inputs = [{"id": str(i), "properties": {"name": "x"}} for i in range(101)]
    reply = call(fake, "POST", f"/crm/v3/objects/companies/batch/{op}", {"inputs": inputs})
    assert reply.status == 400
    assert reply.json["status"] == "error"
    assert reply.json["category"] == "VALIDATION_ERROR"
    assert fake.objects("companies") == []


def test_batch_create_update_archive(fake: HubSpotFake) -> None:
    created = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/create",
        {"inputs": [{"properties": {"name": f"Batch {i}"}} for i in range(100)]},
    )
    assert created.status == 201
    assert created.json["status"] == "COMPLETE"
    ids = [r["id"] for r in created.json["results"]]
    assert len(set(ids)) == 100
    updated = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/update",
        {"inputs": [{"id": i, "properties": {"arr": "10"}} for i in ids[:3]]},
    )
    assert updated.status == 200
    assert {r["properties"]["arr"] for r in updated.json["results"]} == {"10"}
    partial = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/update",
        {"inputs": [{"id": ids[3], "properties": {"arr": "11"}}, {"id": "1", "properties": {}}]},
    )
    assert partial.status == 207 and partial.json["errors"][0]["context"]["ids"] == ["1"]
    archived = call(
        fake,
        "POST",
        "/crm/v3/objects/companies/batch/archive",
        {"inputs": [{"id": i} for i in ids[:10]]},
    )
    assert archived.status == 204 and archived.raw == b""
    assert len(fake.objects("companies")) == 90
    upserted = call(
        fake,
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        {
            "inputs": [
                {"idProperty": "email", "id": "new@acme.example", "properties": {"firstname": "N"}}
            ]
        },
    )
    assert upserted.status == 200 and upserted.json["results"][0]["new"] is True


def test_batch_create_is_all_or_nothing(fake: HubSpotFake) -> None:
    existing = fake.add_contact("ann@acme.example")
    reply = call(
        fake,
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {
            "inputs": [
                {"properties": {"email": "new@acme.example"}},
                {"properties": {"email": "ann@acme.example"}},
            ]
        },
    )
    assert reply.status == 409
    assert existing["id"] in reply.json["message"]
    assert [c["id"] for c in fake.objects("contacts")] == [existing["id"]]


# ---------------------------------------------------------------- search


def _search(fake: HubSpotFake, object_type: str, body: dict[str, Any]) -> Reply:
    return call(fake, "POST", f"/crm/v3/objects/{object_type}/search", body)


def test_search_with_a_gt_filter_and_sorts(fake: HubSpotFake) -> None:
    fake.add_companies(30, arr=lambda i: i * 1000)
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "arr", "operator": "GT", "value": "20000"}]}
        ],
        "sorts": [{"propertyName": "arr", "direction": "DESCENDING"}],
        "properties": ["name", "arr"],
        "limit": 4,
    }
    first = _search(fake, "companies", body)
    assert first.status == 200
    assert first.json["total"] == 10
    assert [r["properties"]["arr"] for r in first.json["results"]] == [
        "30000",
        "29000",
        "28000",
        "27000",
    ]
    assert set(first.json["results"][0]["properties"]) == {
        "arr",
        "name",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    assert first.json["paging"] == {"next": {"after": "4"}}
    values = [r["properties"]["arr"] for r in first.json["results"]]
    after = first.json["paging"]["next"]["after"]
    while after:
        page = _search(fake, "companies", {**body, "after": after}).json
        values += [r["properties"]["arr"] for r in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
    assert values == [str(v * 1000) for v in range(30, 20, -1)]
    ascending = _search(fake, "companies", {**body, "sorts": ["arr"], "limit": 2}).json
    assert [r["properties"]["arr"] for r in ascending["results"]] == ["21000", "22000"]
    by_name = _search(
        fake, "companies", {"sorts": [{"propertyName": "name", "direction": "DESCENDING"}]}
    ).json
    assert by_name["results"][0]["properties"]["name"] == "Company 0030"
    assert fake.count("POST /crm/v3/objects/companies/search") == 5


def test_search_compares_dates_as_epoch_ms_or_iso(fake: HubSpotFake) -> None:
    old = fake.add_companies(5)
    fake.advance(3600)
    cutoff = fake.now_ms()
    fake.advance(1)
    fake.touch("companies", old[1], old[3])
    fresh = fake.add_company("Fresh")
    expected = [old[1]["id"], old[3]["id"], fresh["id"]]
    for value in (str(cutoff), iso_ms(cutoff)):
        reply = _search(
            fake,
            "companies",
            {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "hs_lastmodifieddate",
                                "operator": "GT",
                                "value": value,
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            },
        )
        assert [r["id"] for r in reply.json["results"]] == expected
    created_before = _search(
        fake,
        "companies",
        {
            "filterGroups": [
                {"filters": [{"propertyName": "createdate", "operator": "LTE", "value": cutoff}]}
            ]
        },
    ).json
    assert created_before["total"] == 5


def test_search_operators_and_filter_groups(fake: HubSpotFake) -> None:
    fake.add_company("Acme", industry="RETAIL", arr=100)
    fake.add_company("Globex", industry="COMPUTER_SOFTWARE", arr=200)
    fake.add_company("Initech", arr=300)
    fake.add_company("Umbrella Corp")

    def names(*groups: list[dict[str, Any]], query: str | None = None) -> list[str]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": g} for g in groups],
            "properties": ["name"],
            "limit": 200,
        }
        if query:
            body["query"] = query
        reply = _search(fake, "companies", body)
        assert reply.status == 200, reply.json
        return [r["properties"]["name"] for r in reply.json["results"]]

    assert names([{"propertyName": "name", "operator": "EQ", "value": "acme"}]) == ["Acme"]
    assert names([{"propertyName": "arr", "operator": "HAS_PROPERTY"}]) == [
        "Acme",
        "Globex",
        "Initech",
    ]
    assert names([{"propertyName": "arr", "operator": "NOT_HAS_PROPERTY"}]) == ["Umbrella Corp"]
    assert names([{"propertyName": "industry", "operator": "IN", "values": ["retail"]}]) == ["Acme"]
    assert names([{"propertyName": "industry", "operator": "NEQ", "value": "RETAIL"}]) == [
        "Globex",
        "Initech",
        "Umbrella Corp",
    ]
    assert names(
        [{"propertyName": "arr", "operator": "BETWEEN", "value": "150", "highValue": "300"}]
    ) == ["Globex", "Initech"]
    # Groups are ORed, filters within a group ANDed.
    assert names(
        [{"propertyName": "arr", "operator": "LT", "value": 150}],
        [
            {"propertyName": "arr", "operator": "GTE", "value": 300},
            {"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "init*"},
        ],
    ) == ["Acme", "Initech"]
    assert names(query="umbrel") == ["Umbrella Corp"]
    bad = _search(
        fake,
        "companies",
        {"filterGroups": [{"filters": [{"propertyName": "arr", "operator": "ABOUT", "value": 1}]}]},
    )
    assert bad.status == 400 and bad.json["category"] == "VALIDATION_ERROR"


def test_search_limit_and_filter_limits(fake: HubSpotFake) -> None:
    assert _search(fake, "companies", {"limit": 200}).status == 200
    too_big = _search(fake, "companies", {"limit": 201})
    assert too_big.status == 400 and too_big.json["category"] == "VALIDATION_ERROR"
    flt = {"propertyName": "name", "operator": "HAS_PROPERTY"}
    too_many_groups = {"filterGroups": [{"filters": [flt]} for _ in range(6)]}
    assert _search(fake, "companies", too_many_groups).status == 400


def test_search_cannot_page_past_10000_results(fake: HubSpotFake) -> None:
    fake.add_companies(10_050)
    near_the_end = _search(fake, "companies", {"limit": 200, "after": "9800"})
    assert near_the_end.status == 200
    assert near_the_end.json["total"] == 10_050
    assert len(near_the_end.json["results"]) == 200
    assert near_the_end.json["paging"]["next"]["after"] == "10000"
    refused = _search(fake, "companies", {"limit": 200, "after": "10000"})
    assert refused.status == 400
    body = refused.json
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert "10000" in body["message"]
    assert "correlationId" in body


def test_search_skips_archived_records(fake: HubSpotFake) -> None:
    a, b = fake.add_companies(2)
    fake.archive("companies", a)
    reply = _search(fake, "companies", {}).json
    assert reply["total"] == 1 and reply["results"][0]["id"] == b["id"]


# ---------------------------------------------------------------- associations v4


def test_default_association_type_ids_are_hubspots(fake: HubSpotFake) -> None:
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("contacts", "companies")] == 279
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("companies", "contacts")] == 280
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("notes", "companies")] == 190
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("notes", "contacts")] == 202
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("deals", "companies")] == 341
    assert DEFAULT_ASSOCIATION_TYPE_IDS[("companies", "deals")] == 342
    company = fake.add_company("Acme")
    note = fake.add_note("hello")
    put = call(
        fake,
        "PUT",
        f"/crm/v4/objects/notes/{note['id']}/associations/default/companies/{company['id']}",
    )
    assert put.status == 200
    assert put.json["status"] == "COMPLETE"
    specs = {
        (r["from"]["id"], r["to"]["id"], r["associationSpec"]["associationTypeId"])
        for r in put.json["results"]
    }
    assert specs == {(note["id"], company["id"], 190), (company["id"], note["id"], 189)}
    assert fake.associations("notes", note["id"], "companies") == {company["id"]: [190]}


def test_batch_read_associations(fake: HubSpotFake) -> None:
    acme, globex, lonely = fake.add_companies(3)
    contacts = fake.add_contacts(4, companies=[acme, globex])
    reply = call(
        fake,
        "POST",
        "/crm/v4/associations/companies/contacts/batch/read",
        {"inputs": [{"id": acme["id"]}, {"id": globex["id"]}, {"id": lonely["id"]}]},
    )
    assert reply.status == 207
    body = reply.json
    assert body["status"] == "COMPLETE"
    by_company = {r["from"]["id"]: r["to"] for r in body["results"]}
    assert [t["toObjectId"] for t in by_company[acme["id"]]] == [
        int(contacts[0]["id"]),
        int(contacts[2]["id"]),
    ]
    types = by_company[acme["id"]][0]["associationTypes"]
    assert {"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None} in types
    (error,) = body["errors"]
    assert error["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert error["context"]["fromObjectId"] == [lonely["id"]]


def test_association_listing_is_paged(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme")
    contacts = fake.add_contacts(7, companies=[company])
    path = f"/crm/v4/objects/companies/{company['id']}/associations/contacts"
    seen: list[int] = []
    after = None
    while True:
        page = call(fake, "GET", path, query={"limit": 3, **({"after": after} if after else {})})
        seen += [r["toObjectId"] for r in page.json["results"]]
        after = page.json.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert seen == [int(c["id"]) for c in contacts]
    assert fake.count("GET /crm/v4/objects/companies/{id}/associations/contacts") == 3
    # Archived records drop out of association reads.
    fake.archive("contacts", contacts[0])
    assert len(call(fake, "GET", path).json["results"]) == 6
    removed = call(
        fake,
        "DELETE",
        f"/crm/v4/objects/companies/{company['id']}/associations/contacts/{contacts[1]['id']}",
    )
    assert removed.status == 204
    assert len(call(fake, "GET", path).json["results"]) == 5


# ---------------------------------------------------------------- auth, scopes, account


def test_missing_or_wrong_token_is_401(fake: HubSpotFake) -> None:
    for token in (None, "pat-na1-wrong"):
        reply = call(fake, "GET", "/crm/v3/objects/companies", token=token)
        assert reply.status == 401
        body = reply.json
        assert body["status"] == "error"
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found")
        assert len(body["correlationId"]) == 36
    assert fake.requests[-1].status == 401


def test_an_expired_token_is_401_from_request_k_on(fake: HubSpotFake) -> None:
    fake.expire_token_at(fake.request_count + 3)
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200
    expired = call(fake, "GET", "/crm/v3/objects/companies")
    assert expired.status == 401
    assert expired.json["category"] == "EXPIRED_AUTHENTICATION"
    assert "expired" in expired.json["message"]
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 401
    old = fake.token
    fake.rotate_token()
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200
    assert call(fake, "GET", "/crm/v3/objects/companies", token=old).status == 401
    # The brief's variant: expiry reported like any other bad credential.
    fake.expired_category = "INVALID_AUTHENTICATION"
    fake.expire_token()
    assert call(fake, "GET", "/crm/v3/objects/companies").json["category"] == (
        "INVALID_AUTHENTICATION"
    )


def test_a_missing_scope_is_403_naming_the_scopes(fake: HubSpotFake) -> None:
    fake.revoke_scopes("crm.objects.deals.read", "crm.objects.deals.write")
    reply = call(fake, "GET", "/crm/v3/objects/deals")
    assert reply.status == 403
    body = reply.json
    assert body["status"] == "error"
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.deals.read"]
    write = call(fake, "POST", "/crm/v3/objects/deals", {"properties": {"dealname": "x"}})
    assert write.json["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.deals.write"
    ]
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200
    fake.scopes = {"crm.objects.contacts.read"}
    owners = call(fake, "GET", "/crm/v3/owners")
    assert owners.status == 403
    assert owners.json["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.owners.read"
    ]
    assoc = call(fake, "GET", "/crm/v4/objects/contacts/1/associations/companies")
    assert assoc.status == 403


def test_token_info_and_account_details(fake: HubSpotFake) -> None:
    info = call(
        fake,
        "POST",
        "/oauth/v2/private-apps/get/access-token-info",
        {"tokenKey": fake.token},
        token=None,
    )
    assert info.status == 200
    assert info.json["hubId"] == fake.portal_id
    assert {"userId", "appId"} <= set(info.json)
    assert "crm.objects.companies.read" in info.json["scopes"]
    assert sorted(info.json["scopes"]) == sorted(fake.scopes)
    wrong = call(
        fake, "POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": "pat-x"}
    )
    assert wrong.status == 401
    details = call(fake, "GET", "/account-info/v3/details").json
    assert details["portalId"] == fake.portal_id
    assert details["timeZone"] == "US/Eastern"
    assert details["companyCurrency"] == "USD"
    assert details["uiDomain"] == "app.hubspot.com"
    assert details["dataHostingLocation"] == "na1"


def test_properties_and_owners(fake: HubSpotFake) -> None:
    props = call(fake, "GET", "/crm/v3/properties/companies").json["results"]
    by_name = {p["name"]: p for p in props}
    assert by_name["arr"]["label"] == "Annual recurring revenue"
    assert by_name["arr"]["type"] == "number"
    assert by_name["renewal_date"]["label"] == "Contract end date"
    assert by_name["renewal_date"]["type"] == "date"
    assert by_name["name"]["hubspotDefined"] is True
    for p in props:
        assert {"name", "label", "type", "fieldType", "groupName", "options"} <= set(p)
    contact_props = call(fake, "GET", "/crm/v3/properties/contacts").json["results"]
    assert any(p["name"] == "email" and p["hasUniqueValue"] for p in contact_props)
    one = call(fake, "GET", "/crm/v3/properties/deals/dealstage").json
    assert "closedwon" in [o["value"] for o in one["options"]]
    assert call(fake, "GET", "/crm/v3/properties/deals/nope").status == 404

    fake.add_owners(5)
    first = call(fake, "GET", "/crm/v3/owners", query={"limit": 2}).json
    assert [set(o) >= {"id", "email", "firstName", "lastName"} for o in first["results"]] == [
        True,
        True,
    ]
    emails = [o["email"] for o in first["results"]]
    after = first["paging"]["next"]["after"]
    while after:
        page = call(fake, "GET", "/crm/v3/owners", query={"limit": 2, "after": after}).json
        emails += [o["email"] for o in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
    assert emails == [f"owner{i}@example.com" for i in range(1, 6)]


# ---------------------------------------------------------------- rate limits


def test_every_response_carries_rate_limit_headers(fake: HubSpotFake) -> None:
    for reply in (
        call(fake, "GET", "/crm/v3/objects/companies"),
        call(fake, "GET", "/crm/v3/objects/companies", token=None),
        call(fake, "GET", "/crm/v3/objects/companies/1"),
    ):
        for header in RATE_HEADERS:
            assert reply.headers[header] is not None, header
    assert reply.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


def test_bursting_past_the_limit_is_429(make_hubspot_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_hubspot_fake(burst_limit=5, burst_interval_ms=400, retry_after=1)
    remaining = []
    for _ in range(5):
        reply = call(fake, "GET", "/crm/v3/objects/companies")
        assert reply.status == 200
        remaining.append(reply.headers["X-HubSpot-RateLimit-Remaining"])
    assert remaining == ["4", "3", "2", "1", "0"]
    limited = call(fake, "GET", "/crm/v3/objects/companies")
    assert limited.status == 429
    assert limited.json["status"] == "error"
    assert limited.json["message"] == "You have reached your ten_secondly_rolling limit."
    assert limited.json["errorType"] == "RATE_LIMIT"
    assert limited.json["policyName"] == "TEN_SECONDLY_ROLLING"
    assert "correlationId" in limited.json
    assert limited.headers["X-HubSpot-RateLimit-Max"] == "5"
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert limited.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "400"
    assert limited.headers["Retry-After"] == "1"
    time.sleep(0.45)  # the window rolls on
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200


def test_search_has_its_own_per_second_limit(make_hubspot_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_hubspot_fake(search_per_second=2)
    assert _search(fake, "companies", {}).status == 200
    assert _search(fake, "contacts", {}).status == 200
    limited = _search(fake, "companies", {})
    assert limited.status == 429
    assert limited.json["policyName"] == "SECONDLY"
    assert limited.json["message"] == "You have reached your secondly limit."
    assert limited.headers.get("Retry-After") is None
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200  # other calls go on
    fake.reset_rate_limits()
    assert _search(fake, "companies", {}).status == 200


def test_the_daily_limit(make_hubspot_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_hubspot_fake(daily_limit=2)
    call(fake, "GET", "/crm/v3/objects/companies")
    last = call(fake, "GET", "/crm/v3/objects/companies")
    assert last.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    limited = call(fake, "GET", "/crm/v3/objects/companies")
    assert limited.status == 429 and limited.json["policyName"] == "DAILY"


# ---------------------------------------------------------------- fault injection


def test_queued_5xx_responses(fake: HubSpotFake) -> None:
    fake.fail_next(2, 503, method="POST")
    body = {"properties": {"name": "Acme"}}
    first = call(fake, "POST", "/crm/v3/objects/companies", body)
    assert first.status == 503 and first.json["status"] == "error"
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200  # GET not matched
    assert call(fake, "POST", "/crm/v3/objects/companies", body).status == 503
    assert fake.objects("companies") == []  # nothing applied
    assert call(fake, "POST", "/crm/v3/objects/companies", body).status == 201
    fake.fail_next(
        1, 502, body="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
    )
    html = call(fake, "GET", "/crm/v3/objects/companies")
    assert html.status == 502 and html.raw.startswith(b"<html>")
    assert html.headers["Content-Type"] == "text/html"
    assert [r.fault for r in fake.requests].count("status") == 3


def test_dropped_connection_before_the_request_is_applied(fake: HubSpotFake) -> None:
    fake.drop_next(1, path=r"/crm/v3/objects/notes$")
    with pytest.raises(http.client.RemoteDisconnected):
        call(
            fake,
            "POST",
            "/crm/v3/objects/notes",
            {"properties": {"hs_note_body": "x", "hs_timestamp": "2026-03-01T09:00:00Z"}},
        )
    assert fake.objects("notes") == []
    assert fake.requests[-1].status is None and fake.requests[-1].fault == "drop"
    assert call(fake, "GET", "/crm/v3/objects/notes").status == 200


def test_dropped_connection_after_the_create_was_applied(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme")
    fake.drop_after_apply(1, method="POST", path=r"/crm/v3/objects/notes$")
    body = {
        "properties": {"hs_note_body": "QBR notes", "hs_timestamp": "2026-03-01T09:00:00Z"},
        "associations": [
            {
                "to": {"id": company["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}],
            }
        ],
    }
    with pytest.raises(http.client.RemoteDisconnected):
        call(fake, "POST", "/crm/v3/objects/notes", body)
    (note,) = fake.objects("notes")  # the server got it
    assert note["properties"]["hs_note_body"] == "QBR notes"
    assert fake.associated_ids("notes", note["id"], "companies") == [company["id"]]
    logged = fake.requests[-1]
    assert logged.body == body and logged.status is None
    # With urllib the client sees a URLError/connection error too.
    fake.drop_next(1)
    request = urllib.request.Request(
        f"{fake.base_url}/crm/v3/objects/notes", headers={"Authorization": f"Bearer {fake.token}"}
    )
    with pytest.raises((urllib.error.URLError, http.client.RemoteDisconnected)):
        urllib.request.urlopen(request, timeout=5)


def test_malformed_json_responses(fake: HubSpotFake) -> None:
    fake.add_companies(3)
    fake.malformed_next(2)
    for _ in range(2):
        reply = call(fake, "GET", "/crm/v3/objects/companies")
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.raw)
    assert call(fake, "GET", "/crm/v3/objects/companies").json["results"]
    # Applied by default: a write goes through even though its answer is garbage.
    fake.malformed_next(1)
    call(fake, "POST", "/crm/v3/objects/companies", {"properties": {"name": "Garbled"}})
    assert fake.objects("companies")[-1]["properties"]["name"] == "Garbled"
    fake.malformed_next(1, apply=False)
    call(fake, "POST", "/crm/v3/objects/companies", {"properties": {"name": "Lost"}})
    assert fake.objects("companies")[-1]["properties"]["name"] == "Garbled"


def test_a_429_storm(fake: HubSpotFake) -> None:
    fake.rate_limit_next(3)
    replies = [call(fake, "GET", "/crm/v3/objects/companies") for _ in range(4)]
    assert [r.status for r in replies] == [429, 429, 429, 200]
    assert replies[0].json["policyName"] == "TEN_SECONDLY_ROLLING"
    assert replies[0].json["errorType"] == "RATE_LIMIT"
    assert replies[0].headers["X-HubSpot-RateLimit-Remaining"] == "0"
    fake.rate_limit_next(1, policy="SECONDLY", path="/search$")
    limited = _search(fake, "companies", {})
    assert limited.status == 429
    assert limited.json["policyName"] == "SECONDLY"
    for header in RATE_HEADERS:
        assert limited.headers[header] is not None


def test_per_request_delay(fake: HubSpotFake) -> None:
    fake.delay_next(0.3, 1, path="/companies$")
    started = time.monotonic()
    assert call(fake, "GET", "/crm/v3/objects/companies").status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    call(fake, "GET", "/crm/v3/objects/companies")
    assert time.monotonic() - started < 0.3
    fake.latency = 0.1
    started = time.monotonic()
    call(fake, "GET", "/crm/v3/objects/contacts")
    assert time.monotonic() - started >= 0.1
    fake.clear_faults()
    assert fake.latency == 0 and fake.pending_faults() == []


def test_a_delayed_response_times_a_client_out(fake: HubSpotFake) -> None:
    fake.delay_next(1.0)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=0.2)
    conn.request(
        "GET", "/crm/v3/objects/companies", headers={"Authorization": f"Bearer {fake.token}"}
    )
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()


def test_request_log_and_counters(fake: HubSpotFake) -> None:
    company = fake.add_company("Acme")
    call(fake, "GET", "/crm/v3/objects/companies", query={"limit": 5})
    call(fake, "GET", f"/crm/v3/objects/companies/{company['id']}")
    call(fake, "GET", f"/crm/v3/objects/company/{company['id']}")  # singular alias
    call(fake, "POST", "/crm/v3/objects/companies/search", {"limit": 1})
    call(fake, "POST", "/crm/v3/objects/companies/batch/read", {"inputs": []})
    counts = fake.counts()
    assert counts["GET /crm/v3/objects/companies"] == 1
    assert counts["GET /crm/v3/objects/companies/{id}"] == 2
    assert counts["POST /crm/v3/objects/companies/search"] == 1
    assert counts["POST /crm/v3/objects/companies/batch/read"] == 1
    assert fake.count(method="GET") == 3
    assert fake.count(path=r"/search$") == 1
    first = fake.requests[0]
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        "/crm/v3/objects/companies",
        {"limit": ["5"]},
        200,
    )
    assert fake.requests[3].body == {"limit": 1}
    assert [r.number for r in fake.requests] == [1, 2, 3, 4, 5]
    fake.reset_log()
    assert fake.requests == [] and fake.counts() == {} and fake.request_count == 5


def test_concurrent_clients_and_faults_are_thread_safe(fake: HubSpotFake) -> None:
    fake.fail_next(5, 500, method="POST")
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(10):
            reply = call(
                fake, "POST", "/crm/v3/objects/companies", {"properties": {"name": f"T{n}-{i}"}}
            )
            with lock:
                statuses.append(reply.status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(500) == 5
    assert statuses.count(201) == 75
    ids = [c["id"] for c in fake.objects("companies")]
    assert len(ids) == len(set(ids)) == 75
    assert fake.count("POST /crm/v3/objects/companies") == 80


# ---------------------------------------------------------------- seeding helpers, lifecycle


def test_seeding_helpers_and_unicode_names(fake: HubSpotFake) -> None:
    companies = fake.add_companies(10, unicode=True)
    contacts = fake.add_contacts(20, companies=companies[:4], unicode=True)
    assert fake.associated_ids("companies", companies[0]["id"], "contacts") == [
        contacts[i]["id"] for i in (0, 4, 8, 12, 16)
    ]
    assert fake.associations("contacts", contacts[0]["id"], "companies") == {
        companies[0]["id"]: [1, 279]
    }
    name = companies[3]["properties"]["name"]
    assert not name.isascii()
    got = call(fake, "GET", f"/crm/v3/objects/companies/{companies[3]['id']}").json
    assert got["properties"]["name"] == name
    found = _search(fake, "companies", {"query": name.split()[0]}).json
    assert companies[3]["id"] in [r["id"] for r in found["results"]]
    first = call(fake, "GET", f"/crm/v3/objects/contacts/{contacts[0]['id']}").json
    assert first["properties"]["firstname"] == "José"
    deal = fake.add_deal("Renewal", company=companies[0], amount=1200)
    assert fake.associations("deals", deal["id"], "companies") == {companies[0]["id"]: [5, 341]}
    note = fake.add_note("Ünïcödé note 📝", company=companies[0], contact=contacts[0])
    (stored,) = fake.objects("notes")
    assert stored["properties"]["hs_note_body"] == "Ünïcödé note 📝"
    assert stored["properties"]["hs_timestamp"].endswith("Z")
    assert fake.associated_ids("notes", note["id"], "contacts") == [contacts[0]["id"]]
    fake.archive("companies", companies[9])
    assert len(fake.objects("companies")) == 9
    assert fake.get("companies", companies[9]["id"])["archived"] is True  # type: ignore[index]


def test_the_fixture_and_the_context_manager(hubspot_fake: HubSpotFake) -> None:
    assert hubspot_fake.base_url.startswith("http://127.0.0.1:")
    assert hubspot_fake.token.startswith("pat-na1-")
    assert hubspot_fake.burst_limit == 100 and hubspot_fake.search_per_second == 5
    assert call(hubspot_fake, "GET", "/crm/v3/objects/companies").status == 200
    with HubSpotFake(token="pat-na1-test") as fake:
        port = fake.port
        assert call(fake, "GET", "/crm/v3/objects/contacts").status == 200
        # A keep-alive connection left open does not stop the fake from stopping.
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        idle.request("GET", "/account-info/v3/details", headers={"Authorization": "Bearer x"})
        idle.getresponse().read()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
    idle.close()
    assert urlsplit(hubspot_fake.base_url).port != port
