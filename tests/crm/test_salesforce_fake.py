"""The fake Salesforce behaves as Salesforce documents it (the wire shapes a client relies on)."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests.crm.salesforce_fake import (
    KEY_PREFIXES,
    SalesforceFake,
    parse_sf_datetime,
    sf_datetime,
    sf_id18,
)

START = datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC)
V = "/services/data/v60.0"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


def call(
    fake: SalesforceFake,
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = "<fake>",
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a fresh connection, the way any HTTP client would send it."""
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    sent = {"Accept": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {fake.token if token == '<fake>' else token}"
    payload = None
    if form is not None:
        payload = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def soql(fake: SalesforceFake, q: str, *, all: bool = False, **kw: Any) -> Reply:
    return call(fake, "GET", f"{V}/{'queryAll' if all else 'query'}", query={"q": q}, **kw)


def error_of(reply: Reply) -> dict[str, Any]:
    """Salesforce's error bodies are a JSON array of {message, errorCode[, fields]}."""
    body = reply.json
    assert isinstance(body, list) and len(body) == 1, body
    return body[0]


@pytest.fixture
def fake(make_salesforce_fake) -> SalesforceFake:  # type: ignore[no-untyped-def]
    """A fake on a fixed clock (2026-12-08T01:02:03Z)."""
    return make_salesforce_fake(start_time=START, real_time=False)


# ---------------------------------------------------------------- query and paging


def test_paging_a_2500_record_query_with_next_records_url(fake: SalesforceFake) -> None:
    fake.add_accounts(2500)
    first = soql(fake, "SELECT Id, Name FROM Account ORDER BY Name")
    assert first.status == 200
    page = first.json
    assert page["totalSize"] == 2500 and page["done"] is False
    assert len(page["records"]) == 2000
    next_url = page["nextRecordsUrl"]
    locator = next_url.rsplit("/", 1)[1]
    assert next_url.startswith(f"{V}/query/01g") and locator.endswith("-2000")
    assert len(locator.split("-")[0]) == 18
    record = page["records"][0]
    assert list(record) == ["attributes", "Id", "Name"]
    assert record["attributes"] == {
        "type": "Account",
        "url": f"{V}/sobjects/Account/{record['Id']}",
    }
    second = call(fake, "GET", next_url).json
    assert second["done"] is True and "nextRecordsUrl" not in second
    assert second["totalSize"] == 2500 and len(second["records"]) == 500
    names = [r["Name"] for r in page["records"] + second["records"]]
    assert names == [f"Account {i:04d}" for i in range(1, 2501)]
    assert fake.count("GET /services/data/v60.0/query") == 1
    assert fake.count("GET /services/data/v60.0/query/{locator}") == 1
    # A used-up locator is gone; an unknown one is INVALID_QUERY_LOCATOR.
    gone = call(fake, "GET", next_url)
    assert gone.status == 400 and error_of(gone)["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_batch_size_setting_header_and_locator_expiry(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(start_time=START, real_time=False, query_batch_size=100)
    fake.add_accounts(250)
    pages, url = [], None
    reply = soql(fake, "SELECT Id FROM Account")
    while True:
        body = reply.json
        pages.append(len(body["records"]))
        if body["done"]:
            break
        url = body["nextRecordsUrl"]
        reply = call(fake, "GET", url)
    assert pages == [100, 100, 50]
    # The Sforce-Query-Options header asks for a batch size (200..2000), capped by the setting.
    fake.query_batch_size = 2000
    reply = soql(fake, "SELECT Id FROM Account", headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(reply.json["records"]) == 200
    # Locators expire (two days by default).
    fake.advance(2 * 86_400 + 1)
    late = call(fake, "GET", reply.json["nextRecordsUrl"])
    assert late.status == 400
    assert error_of(late) == {
        "message": "invalid query locator",
        "errorCode": "INVALID_QUERY_LOCATOR",
    }


def test_incremental_sync_by_system_modstamp_with_order_by(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(5, ARR__c=lambda i: i * 1000)
    assert {a["SystemModstamp"] for a in accounts} == {"2026-12-08T01:02:03.000+0000"}
    fake.advance(60)
    watermark = sf_datetime(fake.now_ms())
    fake.advance(5)
    fake.touch(accounts[3], ARR__c=44_000)
    fake.advance(1)
    fake.touch(accounts[1])
    fake.advance(1)
    fake.touch(accounts[2], system_only=True)  # a system process: only SystemModstamp moves
    q = (
        "SELECT Id, Name, ARR__c, SystemModstamp, LastModifiedDate FROM Account "
        f"WHERE SystemModstamp > {watermark.replace('.000+0000', 'Z')} "
        "ORDER BY SystemModstamp ASC, Id"
    )
    rows = soql(fake, q).json["records"]
    assert [r["Id"] for r in rows] == [accounts[i]["Id"] for i in (3, 1, 2)]
    assert rows[0]["ARR__c"] == 44_000.0
    assert rows[0]["SystemModstamp"] == "2026-12-08T01:03:08.000+0000"
    assert rows[2]["LastModifiedDate"] == "2026-12-08T01:02:03.000+0000"  # system_only
    assert rows[2]["SystemModstamp"] == "2026-12-08T01:03:10.000+0000"
    # Salesforce stamps to the second: writes within one second share a SystemModstamp, so a
    # sync must re-read its watermark second (>=) and de-duplicate.
    fake.touch(accounts[0])
    fake.touch(accounts[4])
    same = soql(
        fake,
        "SELECT Id FROM Account WHERE SystemModstamp >= 2026-12-08T01:03:10.000+0000 "
        "ORDER BY SystemModstamp DESC, Name DESC",
    ).json["records"]
    assert [r["Id"] for r in same] == [accounts[i]["Id"] for i in (4, 2, 0)]


def test_query_all_sees_deleted_records_and_query_does_not(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(3)
    contacts = fake.add_contacts(4, accounts=accounts[:2])
    assert call(fake, "DELETE", f"{V}/sobjects/Account/{accounts[0]['Id']}").status == 204
    live = soql(fake, "SELECT Id, IsDeleted FROM Account").json
    assert live["totalSize"] == 2 and {r["IsDeleted"] for r in live["records"]} == {False}
    everything = soql(fake, "SELECT Id, IsDeleted FROM Account", all=True).json
    assert everything["totalSize"] == 3
    deleted = soql(fake, "SELECT Id FROM Account WHERE IsDeleted = true", all=True).json
    assert [r["Id"] for r in deleted["records"]] == [accounts[0]["Id"]]
    assert soql(fake, "SELECT Id FROM Account WHERE IsDeleted = true").json["totalSize"] == 0
    # Deleting an account deletes its contacts too (cascade), as Salesforce does.
    gone = soql(fake, "SELECT Id, Account.Name FROM Contact WHERE IsDeleted = true", all=True)
    assert {r["Id"] for r in gone.json["records"]} == {contacts[0]["Id"], contacts[2]["Id"]}
    assert gone.json["records"][0]["Account"]["Name"] == "Account 0001"
    assert len(fake.records("Contact")) == 2
    assert len(fake.records("Contact", deleted=True)) == 2
    # queryAll pages through /query/ locators as well.
    fake.query_batch_size = 1
    paged = soql(fake, "SELECT Id FROM Account", all=True).json
    assert paged["nextRecordsUrl"].startswith(f"{V}/query/")
    more = call(fake, "GET", paged["nextRecordsUrl"].replace("/query/", "/queryAll/"))
    assert more.status == 200 and len(more.json["records"]) == 1


def test_soql_subset(fake: SalesforceFake) -> None:
    acme = fake.add_account("Acme", ARR__c=120_000, Renewal_Date__c="2027-01-31", Type="Other")
    beta = fake.add_account("Beta Corp", ARR__c=5_000, Renewal_Date__c="2026-12-31")
    fake.add_account("Gamma", Industry="Retail")
    ann = fake.add_contact("Lee", first_name="Ann", account=acme, Title="CFO")
    fake.add_contact("O'Brien", first_name="Bo", account=beta)
    fake.add_contact("Nobody", email="nobody@example.com")

    def ids(q: str) -> list[str]:
        reply = soql(fake, q)
        assert reply.status == 200, reply.json
        return [r["Id"] for r in reply.json["records"]]

    assert ids("SELECT Id FROM Account WHERE ARR__c >= 5000 ORDER BY ARR__c DESC") == [
        acme["Id"],
        beta["Id"],
    ]
    assert ids("select id from account where name = 'ACME'") == [acme["Id"]]  # case-insensitive
    assert ids("SELECT Id FROM Account WHERE Name IN ('Gamma', 'Beta Corp') ORDER BY Name") == [
        beta["Id"],
        fake.records("Account")[2]["Id"],
    ]
    assert len(ids("SELECT Id FROM Account WHERE Name NOT IN ('Gamma')")) == 2
    assert ids("SELECT Id FROM Account WHERE ARR__c = null") == [fake.records("Account")[2]["Id"]]
    assert len(ids("SELECT Id FROM Account WHERE ARR__c != null")) == 2
    assert ids("SELECT Id FROM Account WHERE Renewal_Date__c < 2027-01-01") == [beta["Id"]]
    assert ids("SELECT Id FROM Account WHERE Name LIKE 'b%'") == [beta["Id"]]
    assert ids("SELECT Id FROM Contact WHERE LastName = 'O\\'Brien'") != []
    assert ids(
        "SELECT Id FROM Account WHERE (Name = 'Acme' OR Name = 'Gamma') AND ARR__c > 1000"
    ) == [acme["Id"]]
    assert len(ids("SELECT Id FROM Account WHERE NOT Name = 'Acme'")) == 2
    assert ids("SELECT Id FROM Account WHERE CreatedDate = TODAY AND Type = 'Other'") == [
        acme["Id"]
    ]
    assert len(ids("SELECT Id FROM Account ORDER BY Name LIMIT 2 OFFSET 1")) == 2
    assert ids(f"SELECT Id FROM Contact WHERE AccountId = '{acme['Id'][:15]}'") == [ann["Id"]]
    rows = soql(
        fake,
        "SELECT Name, Account.Name, Account.ARR__c, Owner.Name FROM Contact ORDER BY Account.Name "
        "NULLS LAST",
    ).json["records"]
    assert rows[0]["Account"]["Name"] == "Acme" and rows[0]["Account"]["ARR__c"] == 120_000.0
    assert rows[0]["Account"]["attributes"]["type"] == "Account"
    assert rows[0]["Owner"]["Name"] == "Integration User"
    assert rows[2]["Account"] is None and rows[2]["Name"] == "Contact Nobody"
    count = soql(fake, "SELECT COUNT() FROM Contact WHERE Account.Name != null").json
    assert count == {"totalSize": 2, "done": True, "records": []}


@pytest.mark.parametrize(
    ("q", "code", "needle"),
    [
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
        ("SELECT Id FRM Account", "MALFORMED_QUERY", "unexpected token: 'FRM'"),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
            "MALFORMED_QUERY",
            "unexpected token: 'OR'",
        ),
        ("SELECT Id, Nmae FROM Account", "INVALID_FIELD", "No such column 'Nmae' on entity"),
        ("SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported"),
        (
            "SELECT Id FROM Account WHERE CreatedDate > '2026-01-01'",
            "INVALID_FIELD",
            "must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE ARR__c > '5'",
            "INVALID_FIELD",
            "must be of type double",
        ),
        ("SELECT Id FROM Account WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"),
        ("SELECT Id FROM Contact WHERE AccountId = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", ""),
        ("SELECT Id FROM Contact WHERE Acount.Name = 'x'", "INVALID_FIELD", "relationship"),
        ("SELECT Id FROM ContentDocumentLink", "MALFORMED_QUERY", "Implementation restriction"),
    ],
)
def test_bad_soql_is_400_with_salesforce_error_codes(
    fake: SalesforceFake, q: str, code: str, needle: str
) -> None:
    reply = soql(fake, q)
    assert reply.status == 400
    error = error_of(reply)
    assert set(error) == {"message", "errorCode"}
    assert error["errorCode"] == code
    assert needle in error["message"]
    assert "ERROR at Row:1:Column:" in error["message"]


def test_invalid_field_message_points_at_the_column(fake: SalesforceFake) -> None:
    error = error_of(soql(fake, "SELECT Id, Foo FROM Account"))
    assert error["message"].startswith(
        "\nSELECT Id, Foo FROM Account\n           ^\nERROR at Row:1:Column:12\n"
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field"
    )
    assert error_of(soql(fake, ""))["errorCode"] == "MALFORMED_QUERY"


# ---------------------------------------------------------------- sObject rows


def test_create_get_patch_delete_and_the_deleted_record(fake: SalesforceFake) -> None:
    created = call(fake, "POST", f"{V}/sobjects/Account", {"Name": "Acme", "ARR__c": 1200})
    assert created.status == 201
    body = created.json
    assert set(body) == {"id", "success", "errors"} and body["success"] is True
    account_id = body["id"]
    assert len(account_id) == 18 and account_id.startswith("001")
    assert sf_id18(account_id[:15]) == account_id
    got = call(fake, "GET", f"{V}/sobjects/Account/{account_id}").json
    assert got["attributes"] == {"type": "Account", "url": f"{V}/sobjects/Account/{account_id}"}
    assert got["Name"] == "Acme" and got["ARR__c"] == 1200.0 and got["IsDeleted"] is False
    assert got["CreatedDate"] == "2026-12-08T01:02:03.000+0000"
    assert got["OwnerId"] == fake.user_id and got["Renewal_Date__c"] is None
    some = call(fake, "GET", f"{V}/sobjects/Account/{account_id[:15]}", query={"fields": "Name"})
    assert some.json == {"attributes": got["attributes"], "Name": "Acme"}
    fake.advance(2)
    patched = call(fake, "PATCH", f"{V}/sobjects/Account/{account_id}", {"ARR__c": 2400})
    assert patched.status == 204 and patched.raw == b""
    after = fake.get(account_id)
    assert after is not None and after["ARR__c"] == 2400.0
    assert after["LastModifiedDate"] == after["SystemModstamp"] == "2026-12-08T01:02:05.000+0000"
    assert call(fake, "DELETE", f"{V}/sobjects/Account/{account_id}").status == 204
    missing = call(fake, "GET", f"{V}/sobjects/Account/{account_id}")
    assert missing.status == 404
    assert missing.json == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    again = call(fake, "PATCH", f"{V}/sobjects/Account/{account_id}", {"Name": "x"})
    assert again.status == 404 and error_of(again)["errorCode"] == "ENTITY_IS_DELETED"
    assert fake.get(account_id)["IsDeleted"] is True  # type: ignore[index]
    unknown = call(fake, "GET", f"{V}/sobjects/Acount/{account_id}")
    assert unknown.status == 404 and error_of(unknown)["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("obj", "body", "code", "fields"),
    [
        ("Account", {"Website": "x.example"}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ("Account", {"Name": ""}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ("Account", {"Name": "A", "Foo__c": 1}, "INVALID_FIELD", None),
        ("Account", {"Name": "A", "CreatedDate": "2026-01-01T00:00:00Z"},
         "INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
        ("Account", {"Name": "A", "ARR__c": "lots"}, "JSON_PARSER_ERROR", None),
        ("Account", {"Name": "A", "Renewal_Date__c": "31/01/2027"}, "JSON_PARSER_ERROR", None),
        ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
        ("Contact", {"LastName": "L", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS",
         ["Email"]),
        ("Contact", {"LastName": "L", "AccountId": "bogus"}, "MALFORMED_ID", ["AccountId"]),
        ("Contact", {"LastName": "L", "AccountId": "<contact>"}, "FIELD_INTEGRITY_EXCEPTION",
         ["AccountId"]),
        ("Contact", {"LastName": "L", "Name": "Full"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         ["Name"]),
        ("Opportunity", {"Name": "O", "StageName": "Won!", "CloseDate": "2027-01-01"},
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["StageName"]),
        ("Opportunity", {"Name": "O"}, "REQUIRED_FIELD_MISSING", ["StageName", "CloseDate"]),
        ("Task", {"Subject": "S", "Status": "Done"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
         ["Status"]),
        ("ContentDocument", {"Title": "T"}, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", []),
    ],
)  # fmt: skip
def test_write_validation_matches_salesforce(
    fake: SalesforceFake, obj: str, body: dict, code: str, fields: list[str] | None
) -> None:
    contact = fake.add_contact("Someone")
    body = {k: (contact["Id"] if v == "<contact>" else v) for k, v in body.items()}
    reply = call(fake, "POST", f"{V}/sobjects/{obj}", body)
    assert reply.status == 400
    error = error_of(reply)
    assert error["errorCode"] == code, error
    if fields is not None:
        assert error["fields"] == fields


def test_malformed_json_body_is_json_parser_error(fake: SalesforceFake) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request(
        "POST",
        f"{V}/sobjects/Account",
        body=b"{Name: 'x'",
        headers={"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"},
    )
    reply = conn.getresponse()
    body = json.loads(reply.read())
    conn.close()
    assert reply.status == 400 and body[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert "[line:1, column:2]" in body[0]["message"]


def test_upsert_by_external_id_creates_then_updates(fake: SalesforceFake) -> None:
    path = f"{V}/sobjects/Account/CSM_Desk_Id__c/desk-42"
    created = call(fake, "PATCH", path, {"Name": "Acme", "ARR__c": 100})
    assert created.status == 201
    assert created.json == {
        "id": created.json["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    (account,) = fake.records("Account")
    assert account["CSM_Desk_Id__c"] == "desk-42" and account["ARR__c"] == 100.0
    updated = call(fake, "PATCH", path, {"ARR__c": 200})
    assert updated.status == 200
    assert updated.json == {"id": account["Id"], "success": True, "errors": [], "created": False}
    assert fake.get(account["Id"])["ARR__c"] == 200.0  # type: ignore[index]
    assert len(fake.records("Account")) == 1
    # Before API v46.0 an update answered 204 with no body.
    old = call(fake, "PATCH", path.replace("v60.0", "v45.0"), {"ARR__c": 300})
    assert old.status == 204 and old.raw == b""
    # Retrieve by external id (case-insensitive), and url-encoded values.
    got = call(fake, "GET", f"{V}/sobjects/Account/CSM_Desk_Id__c/DESK-42").json
    assert got["Id"] == account["Id"]
    odd_path = f"{V}/sobjects/Account/CSM_Desk_Id__c/{quote('a b/c', safe='')}"
    odd = call(fake, "PATCH", odd_path, {"Name": "Odd"})
    assert odd.status == 201
    assert fake.get(odd.json["id"])["CSM_Desk_Id__c"] == "a b/c"  # type: ignore[index]
    # updateOnly refuses to create.
    new_path = f"{V}/sobjects/Account/CSM_Desk_Id__c/new"
    refused = call(fake, "PATCH", new_path, {"Name": "N"}, query={"updateOnly": "true"})
    assert refused.status == 404 and error_of(refused)["errorCode"] == "NOT_FOUND"
    # A field that is not an external id.
    wrong = call(fake, "PATCH", f"{V}/sobjects/Account/Name/Acme", {"ARR__c": 1})
    assert wrong.status == 404
    assert error_of(wrong)["message"] == (
        "Provided external ID field does not exist or is not accessible: Name"
    )


def test_duplicate_external_ids_answer_300_with_the_matches(fake: SalesforceFake) -> None:
    one = fake.add_account("One", CSM_Desk_Id__c="dup")
    two = fake.add_account("Two", CSM_Desk_Id__c="dup")
    reply = call(fake, "PATCH", f"{V}/sobjects/Account/CSM_Desk_Id__c/dup", {"ARR__c": 1})
    assert reply.status == 300
    assert reply.json == [f"{V}/sobjects/Account/{one['Id']}", f"{V}/sobjects/Account/{two['Id']}"]
    assert fake.get(one["Id"])["ARR__c"] is None  # type: ignore[index]
    assert call(fake, "GET", f"{V}/sobjects/Account/CSM_Desk_Id__c/dup").status == 300


def test_unique_external_id_is_enforced_when_configured(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(
        start_time=START,
        real_time=False,
        custom_fields={
            "Account": [
                {"name": "Key__c", "type": "string", "external_id": True, "unique": True},
            ]
        },
    )
    first = fake.add_account("One", Key__c="k1")
    reply = call(fake, "POST", f"{V}/sobjects/Account", {"Name": "Two", "Key__c": "K1"})
    assert reply.status == 400
    assert error_of(reply) == {
        "message": f"duplicate value found: Key__c duplicates value on record with id: "
        f"{first['Id']}",
        "errorCode": "DUPLICATE_VALUE",
        "fields": [],
    }
    described = fake.describe("Account")
    names = [f["name"] for f in described["fields"]]
    assert "Key__c" in names and "ARR__c" not in names


def test_describe(fake: SalesforceFake) -> None:
    reply = call(fake, "GET", f"{V}/sobjects/Account/describe")
    assert reply.status == 200
    body = reply.json
    assert body["name"] == "Account" and body["keyPrefix"] == "001"
    fields = {f["name"]: f for f in body["fields"]}
    assert {"Id", "Name", "OwnerId", "CreatedDate", "LastModifiedDate", "SystemModstamp"} <= set(
        fields
    )
    assert fields["Id"]["type"] == "id" and fields["Id"]["updateable"] is False
    assert fields["ARR__c"]["type"] == "currency" and fields["ARR__c"]["custom"] is True
    assert fields["Renewal_Date__c"]["type"] == "date"
    ext = fields["CSM_Desk_Id__c"]
    assert (ext["externalId"], ext["updateable"], ext["custom"], ext["idLookup"]) == (
        True,
        True,
        True,
        True,
    )
    assert fields["SystemModstamp"]["type"] == "datetime"
    assert fields["Name"]["externalId"] is False and fields["Name"]["nillable"] is False
    for obj, prefix in (
        ("Contact", "003"),
        ("Opportunity", "006"),
        ("Task", "00T"),
        ("ContentNote", "069"),
        ("User", "005"),
    ):
        described = call(fake, "GET", f"{V}/sobjects/{obj}/describe").json
        assert described["keyPrefix"] == prefix == KEY_PREFIXES[obj]
    described = call(fake, "GET", f"{V}/sobjects/Contact/describe").json
    contact = {f["name"]: f for f in described["fields"]}
    assert contact["AccountId"]["referenceTo"] == ["Account"]
    assert contact["AccountId"]["relationshipName"] == "Account"
    assert contact["Name"]["calculated"] is True and contact["Name"]["createable"] is False
    listed = call(fake, "GET", f"{V}/sobjects").json
    assert {"Account", "Contact", "Task", "ContentNote"} <= {s["name"] for s in listed["sobjects"]}


def test_get_updated_and_get_deleted(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(4)
    fake.advance(120)  # 01:04:03
    fake.touch(accounts[1], Name="Renamed")
    fake.delete(accounts[2])
    fake.advance(120)  # 01:06:03
    query = {"start": "2026-12-08T01:03:00+00:00", "end": "2026-12-08T01:06:00+00:00"}
    updated = call(fake, "GET", f"{V}/sobjects/Account/updated/", query=query)
    assert updated.status == 200
    assert updated.json == {
        "ids": [accounts[1]["Id"]],
        "latestDateCovered": "2026-12-08T01:06:00.000+0000",
    }
    deleted = call(fake, "GET", f"{V}/sobjects/Account/deleted/", query=query).json
    assert deleted["deletedRecords"] == [
        {"id": accounts[2]["Id"], "deletedDate": "2026-12-08T01:04:03.000+0000"}
    ]
    assert deleted["latestDateCovered"] == "2026-12-08T01:06:00.000+0000"
    assert deleted["earliestDateAvailable"] == "2026-12-08T01:04:00.000+0000"
    # Seconds are ignored, and the window never covers the future.
    everything = call(
        fake,
        "GET",
        f"{V}/sobjects/Account/updated",
        query={"start": "2026-12-08T01:00:59Z", "end": "2026-12-09T00:00:00Z"},
    ).json
    assert len(everything["ids"]) == 3
    assert everything["latestDateCovered"] == "2026-12-08T01:06:00.000+0000"
    flipped = {"start": query["end"], "end": query["start"]}
    backwards = call(fake, "GET", f"{V}/sobjects/Account/updated", query=flipped)
    assert backwards.status == 400
    assert error_of(backwards)["errorCode"] == "INVALID_REPLICATION_DATE"


def test_other_sobject_endpoints(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(3, CSM_Desk_Id__c=lambda i: f"d{i}")
    info = call(fake, "GET", f"{V}/sobjects/Account").json
    assert info["objectDescribe"]["keyPrefix"] == "001"
    assert info["recentItems"][0]["Name"] == "Account 0001"
    assert call(fake, "DELETE", f"{V}/sobjects/Account/CSM_Desk_Id__c/d2").status == 204
    assert [a["Name"] for a in fake.records("Account")] == ["Account 0001", "Account 0003"]
    retrieved = call(
        fake,
        "POST",
        f"{V}/composite/sobjects/Account",
        {"ids": [accounts[0]["Id"], accounts[1]["Id"]], "fields": ["Name"]},
    ).json
    assert [r and r["Name"] for r in retrieved] == ["Account 0001", None]
    # A note is also a ContentDocument (same id): readable, renamable, deletable as one.
    note = fake.add_note("Plan", "body", linked=accounts[0])
    path = f"{V}/sobjects/ContentDocument/{note['Id']}"
    document = call(fake, "GET", path).json
    assert document["attributes"]["type"] == "ContentDocument" and document["Title"] == "Plan"
    assert call(fake, "PATCH", path, {"Title": "Plan v2"}).status == 204
    rows = soql(fake, f"SELECT Title FROM ContentDocument WHERE Id = '{note['Id']}'").json
    assert rows["records"][0]["Title"] == "Plan v2"
    assert call(fake, "DELETE", path).status == 204
    assert fake.notes_for(accounts[0]) == [] and fake.links(entity=accounts[0]) == []
    recent = soql(fake, "SELECT COUNT() FROM Account WHERE LastModifiedDate = LAST_N_DAYS:3")
    assert recent.json["totalSize"] == 2
    user = call(fake, "DELETE", f"{V}/sobjects/User/{fake.user_id}")
    assert user.status == 400 and error_of(user)["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    not_an_id = call(fake, "GET", f"{V}/sobjects/Account/notanid")
    assert not_an_id.status == 404
    assert error_of(not_an_id)["message"].startswith("Provided external ID field does not exist")


# ---------------------------------------------------------------- composite collections


def test_composite_create_partial_success_and_all_or_none(fake: SalesforceFake) -> None:
    records = [
        {"attributes": {"type": "Account"}, "Name": "A1"},
        {"attributes": {"type": "Account"}},  # no Name
        {"attributes": {"type": "Contact"}, "LastName": "C1"},
    ]
    reply = call(fake, "POST", f"{V}/composite/sobjects", {"allOrNone": False, "records": records})
    assert reply.status == 200
    first, second, third = reply.json
    assert first["success"] is True and first["errors"] == [] and first["id"].startswith("001")
    assert second == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert third["id"].startswith("003")
    assert len(fake.records("Account")) == 1 and len(fake.records("Contact")) == 1
    rolled = call(fake, "POST", f"{V}/composite/sobjects", {"allOrNone": True, "records": records})
    assert rolled.status == 200
    results = rolled.json
    assert [r["success"] for r in results] == [False, False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert len(fake.records("Account")) == 1 and len(fake.records("Contact")) == 1


def test_composite_limits(fake: SalesforceFake) -> None:
    records = [{"attributes": {"type": "Account"}, "Name": f"A{i}"} for i in range(201)]
    reply = call(fake, "POST", f"{V}/composite/sobjects", {"records": records})
    assert reply.status == 400
    assert error_of(reply) == {
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT",
    }
    assert fake.records("Account") == []
    ok = call(fake, "POST", f"{V}/composite/sobjects", {"records": records[:200]})
    assert ok.status == 200 and all(r["success"] for r in ok.json)
    assert len(fake.records("Account")) == 200
    ids = [r["id"] for r in ok.json]
    too_many = call(fake, "DELETE", f"{V}/composite/sobjects", query={"ids": ",".join(ids * 2)})
    assert too_many.status == 400 and error_of(too_many)["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_update_retrieve_delete_and_upsert(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(3)
    ids = [a["Id"] for a in accounts]
    update = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Account"}, "id": ids[0], "ARR__c": 10},
            {"attributes": {"type": "Account"}, "ARR__c": 20},
            {"attributes": {"type": "Account"}, "id": ids[2], "StageName": "x"},
        ],
    }
    results = call(fake, "PATCH", f"{V}/composite/sobjects", update).json
    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1]["errors"][0] == {
        "statusCode": "MISSING_ARGUMENT",
        "message": "Id not specified in an update call",
        "fields": [],
    }
    assert results[2]["errors"][0]["statusCode"] == "INVALID_FIELD"
    got = call(
        fake,
        "GET",
        f"{V}/composite/sobjects/Account",
        query={"ids": ",".join([*ids, "001000000000000AAA"]), "fields": "Id,Name,ARR__c"},
    ).json
    assert got[0] == {
        "attributes": {"type": "Account", "url": f"{V}/sobjects/Account/{ids[0]}"},
        "Id": ids[0],
        "Name": "Account 0001",
        "ARR__c": 10.0,
    }
    assert got[3] is None
    deleted = call(
        fake, "DELETE", f"{V}/composite/sobjects", query={"ids": f"{ids[1]},{ids[1]}"}
    ).json
    assert deleted[0] == {"id": ids[1], "success": True, "errors": []}
    assert deleted[1]["success"] is False
    assert deleted[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    upsert = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Account"}, "CSM_Desk_Id__c": "d1", "Name": "New"},
            {"attributes": {"type": "Account"}, "CSM_Desk_Id__c": "d2", "Name": "Newer"},
        ],
    }
    first = call(fake, "PATCH", f"{V}/composite/sobjects/Account/CSM_Desk_Id__c", upsert).json
    assert [r["created"] for r in first] == [True, True]
    upsert["records"][1]["Name"] = "Renamed"
    second = call(fake, "PATCH", f"{V}/composite/sobjects/Account/CSM_Desk_Id__c", upsert).json
    assert [r["created"] for r in second] == [False, False]
    assert [r["id"] for r in second] == [r["id"] for r in first]
    assert fake.get(first[1]["id"])["Name"] == "Renamed"  # type: ignore[index]


# ---------------------------------------------------------------- notes and tasks


def test_content_note_and_links(fake: SalesforceFake) -> None:
    account = fake.add_account("Acme")
    html = "<p>QBR went well &amp; renewal is on track. Ünïcödé ✓</p>"
    created = call(
        fake,
        "POST",
        f"{V}/sobjects/ContentNote",
        {"Title": "QBR notes", "Content": base64.b64encode(html.encode()).decode()},
    )
    assert created.status == 201
    note_id = created.json["id"]
    assert note_id.startswith("069")
    link = call(
        fake,
        "POST",
        f"{V}/sobjects/ContentDocumentLink",
        {"ContentDocumentId": note_id, "LinkedEntityId": account["Id"], "ShareType": "V"},
    )
    assert link.status == 201 and link.json["id"].startswith("06A")
    (note,) = fake.notes_for(account)
    assert note["Title"] == "QBR notes" and note["Content"] == html
    assert note["TextPreview"].startswith("QBR went well")
    got = call(fake, "GET", f"{V}/sobjects/ContentNote/{note_id}").json
    assert got["Content"] == f"{V}/sobjects/ContentNote/{note_id}/Content"
    assert got["FileType"] == "SNOTE"
    blob = call(fake, "GET", got["Content"])
    assert blob.status == 200 and blob.raw.decode() == html
    # Salesforce links every note to its owner; a duplicate link is refused.
    rows = soql(
        fake,
        "SELECT ContentDocumentId, LinkedEntityId, ShareType, ContentDocument.Title "
        f"FROM ContentDocumentLink WHERE ContentDocumentId = '{note_id}' ORDER BY ShareType",
    ).json["records"]
    assert [(r["LinkedEntityId"], r["ShareType"]) for r in rows] == [
        (fake.user_id, "I"),
        (account["Id"], "V"),
    ]
    assert rows[1]["ContentDocument"]["Title"] == "QBR notes"
    assert rows[1]["ContentDocument"]["attributes"]["type"] == "ContentDocument"
    again = call(
        fake,
        "POST",
        f"{V}/sobjects/ContentDocumentLink",
        {"ContentDocumentId": note_id, "LinkedEntityId": account["Id"], "ShareType": "V"},
    )
    assert again.status == 400 and error_of(again)["errorCode"] == "DUPLICATE_VALUE"
    bad = call(fake, "POST", f"{V}/sobjects/ContentNote", {"Title": "x", "Content": "%%%"})
    assert bad.status == 400 and error_of(bad)["errorCode"] == "JSON_PARSER_ERROR"
    seeded = fake.add_note("Kick-off", "Agenda", linked=account)
    assert {n["Id"] for n in fake.notes_for(account)} == {note_id, seeded["Id"]}


def test_tasks_with_what_and_who(fake: SalesforceFake) -> None:
    account = fake.add_account("Acme")
    contact = fake.add_contact("Lee", first_name="Ann", account=account)
    opp = fake.add_opportunity("Renewal", account=account, amount=5000)
    assert opp["IsClosed"] is False and opp["StageName"] == "Prospecting"
    reply = call(
        fake,
        "POST",
        f"{V}/sobjects/Task",
        {
            "Subject": "QBR follow-up",
            "Description": "Send the deck",
            "WhatId": account["Id"],
            "WhoId": contact["Id"],
            "ActivityDate": "2026-12-15",
        },
    )
    assert reply.status == 201
    task = fake.get(reply.json["id"])
    assert task is not None and task["Status"] == "Not Started" and task["Priority"] == "Normal"
    fake.add_task("Call", what=opp, status="Completed")
    rows = soql(
        fake,
        "SELECT Subject, What.Name, What.Type, Who.Name, IsClosed FROM Task "
        "WHERE ActivityDate >= 2026-12-01 OR Status = 'Completed' ORDER BY Subject DESC",
    ).json["records"]
    assert [r["Subject"] for r in rows] == ["QBR follow-up", "Call"]
    assert rows[0]["What"]["Name"] == "Acme" and rows[0]["What"]["Type"] == "Account"
    assert rows[0]["What"]["attributes"]["type"] == "Account"
    assert rows[0]["Who"]["Name"] == "Ann Lee"
    assert rows[1]["What"]["Type"] == "Opportunity" and rows[1]["Who"] is None
    assert rows[1]["IsClosed"] is True
    wrong = call(fake, "POST", f"{V}/sobjects/Task", {"Subject": "x", "WhoId": account["Id"]})
    assert error_of(wrong)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    fake.delete(account)  # cascades to the contact, the opportunity and their tasks
    assert fake.records("Task") == [] and len(fake.records("Task", deleted=True)) == 2


# ---------------------------------------------------------------- auth, limits, org


def test_missing_bad_or_expired_session_is_401(fake: SalesforceFake) -> None:
    for token in (None, "00Dxx!bogus"):
        reply = call(fake, "GET", f"{V}/limits", token=token)
        assert reply.status == 401
        assert reply.json == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
        assert reply.headers["WWW-Authenticate"] == "Token"
    assert call(fake, "GET", f"{V}/limits").status == 200
    before = fake.request_count
    fake.expire_token_at(before + 2)
    assert call(fake, "GET", f"{V}/limits").status == 200
    assert call(fake, "GET", f"{V}/limits").status == 401
    # The versions list needs no session.
    assert call(fake, "GET", "/services/data/", token=None).status == 200


def test_refresh_token_flow(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(start_time=START, real_time=False, client_secret="s3cret")
    old = fake.token
    fake.expire_token()
    assert call(fake, "GET", f"{V}/limits").status == 401
    form = {
        "grant_type": "refresh_token",
        "refresh_token": fake.refresh_token,
        "client_id": fake.client_id,
        "client_secret": "s3cret",
    }
    reply = call(fake, "POST", "/services/oauth2/token", form=form, token=None)
    assert reply.status == 200
    body = reply.json
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "issued_at",
        "signature",
        "token_type",
        "scope",
    }
    assert body["token_type"] == "Bearer" and body["instance_url"] == fake.base_url
    assert body["issued_at"] == str(parse_sf_datetime("2026-12-08T01:02:03Z"))
    assert body["access_token"] != old and body["access_token"] == fake.token
    assert body["access_token"].startswith(fake.org_id[:15] + "!")
    assert call(fake, "GET", f"{V}/limits", token=body["access_token"]).status == 200
    assert call(fake, "GET", f"{V}/limits", token=old).status == 401
    for change, error in (
        ({"refresh_token": "nope"}, "invalid_grant"),
        ({"client_id": "other"}, "invalid_client_id"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ):
        bad = call(fake, "POST", "/services/oauth2/token", form={**form, **change}, token=None)
        assert bad.status == 400 and bad.json["error"] == error
    fake.revoke_refresh_token()
    revoked = call(fake, "POST", "/services/oauth2/token", form=form, token=None)
    assert revoked.status == 400
    assert revoked.json == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


def test_session_timeout_and_revoke(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(start_time=START, real_time=False, session_timeout=7200)
    assert call(fake, "GET", f"{V}/limits").status == 200
    fake.advance(7000)
    assert call(fake, "GET", f"{V}/limits").status == 200  # activity keeps it alive
    fake.advance(7201)
    assert call(fake, "GET", f"{V}/limits").status == 401
    token = fake.issue_token()
    revoke = call(fake, "POST", "/services/oauth2/revoke", form={"token": token}, token=None)
    assert revoke.status == 200
    assert call(fake, "GET", f"{V}/limits", token=token).status == 401


def test_daily_limit_is_403_and_every_response_carries_limit_info(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(start_time=START, real_time=False, daily_limit=5, api_usage=2)
    limits = call(fake, "GET", f"{V}/limits")
    assert limits.headers["Sforce-Limit-Info"] == "api-usage=3/5"
    assert limits.json["DailyApiRequests"] == {"Max": 5, "Remaining": 2}
    assert call(fake, "GET", f"{V}/sobjects").headers["Sforce-Limit-Info"] == "api-usage=4/5"
    assert soql(fake, "SELECT Id FROM Account").status == 200
    refused = soql(fake, "SELECT Id FROM Account")
    assert refused.status == 403
    assert refused.json == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=5/5"
    fake.reset_limits()
    assert soql(fake, "SELECT Id FROM Account").status == 200
    assert call(fake, "GET", f"{V}/limits", token="bad").headers["Sforce-Limit-Info"]


def test_concurrent_request_limit(make_salesforce_fake) -> None:  # type: ignore[no-untyped-def]
    fake = make_salesforce_fake(start_time=START, real_time=False, concurrent_limit=1)
    fake.delay_next(0.5, path="/limits$")
    slow: list[Reply] = []
    worker = threading.Thread(target=lambda: slow.append(call(fake, "GET", f"{V}/limits")))
    worker.start()
    time.sleep(0.15)
    busy = soql(fake, "SELECT Id FROM Account")
    worker.join()
    assert slow[0].status == 200
    assert busy.status == 403
    assert error_of(busy) == {
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    assert soql(fake, "SELECT Id FROM Account").status == 200


def test_versions_resources_userinfo(fake: SalesforceFake) -> None:
    versions = call(fake, "GET", "/services/data", token=None).json
    assert versions[-1] == {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}
    assert {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"} in versions
    resources = call(fake, "GET", V).json
    assert resources["query"] == f"{V}/query" and resources["sobjects"] == f"{V}/sobjects"
    assert call(fake, "GET", "/services/data/v61.0/limits").status == 404
    info = call(fake, "GET", "/services/oauth2/userinfo")
    assert info.status == 200
    body = info.json
    assert body["organization_id"] == fake.org_id and body["organization_id"].startswith("00D")
    assert body["user_id"] == fake.user_id and body["user_id"].startswith("005")
    assert body["preferred_username"] == fake.username
    assert body["urls"]["rest"] == f"{fake.base_url}/services/data/v{{version}}/"
    # userinfo is an OAuth endpoint: a bad token is 403 Bad_OAuth_Token, not 401.
    bad = call(fake, "GET", "/services/oauth2/userinfo", token="nope")
    assert bad.status == 403 and bad.raw == b"Bad_OAuth_Token"
    wrong = call(fake, "PUT", f"{V}/sobjects/Account")
    assert wrong.status == 405 and error_of(wrong)["errorCode"] == "METHOD_NOT_ALLOWED"


# ---------------------------------------------------------------- fault injection


def test_queued_5xx_responses(fake: SalesforceFake) -> None:
    fake.fail_next(2, 503, method="POST")
    body = {"Name": "Acme"}
    first = call(fake, "POST", f"{V}/sobjects/Account", body)
    assert first.status == 503
    assert error_of(first)["errorCode"] == "SERVER_UNAVAILABLE"
    assert soql(fake, "SELECT Id FROM Account").status == 200  # GET not matched
    assert call(fake, "POST", f"{V}/sobjects/Account", body).status == 503
    assert fake.records("Account") == []  # nothing applied
    assert call(fake, "POST", f"{V}/sobjects/Account", body).status == 201
    fake.fail_next(1, 500)
    internal = soql(fake, "SELECT Id FROM Account")
    assert internal.status == 500 and error_of(internal)["errorCode"] == "UNKNOWN_EXCEPTION"
    fake.fail_next(1, 503, html=True)
    page = soql(fake, "SELECT Id FROM Account")
    assert page.status == 503 and page.raw.startswith(b"<!DOCTYPE html>")
    assert page.headers["Content-Type"].startswith("text/html")
    fake.fail_next(1, 502, body="<html>bad gateway</html>", content_type="text/html")
    assert soql(fake, "SELECT Id FROM Account").raw == b"<html>bad gateway</html>"
    assert [r.fault for r in fake.requests].count("status") == 5


def test_dropped_connection_before_the_request_is_applied(fake: SalesforceFake) -> None:
    fake.drop_next(1, path=r"/sobjects/Task$")
    with pytest.raises(http.client.RemoteDisconnected):
        call(fake, "POST", f"{V}/sobjects/Task", {"Subject": "x"})
    assert fake.records("Task") == []
    assert fake.requests[-1].status is None and fake.requests[-1].fault == "drop"
    assert call(fake, "POST", f"{V}/sobjects/Task", {"Subject": "x"}).status == 201


def test_dropped_connection_after_the_write_was_applied(fake: SalesforceFake) -> None:
    account = fake.add_account("Acme")
    fake.drop_after_apply(1, method="POST", path=r"/sobjects/Task$")
    body = {"Subject": "QBR", "WhatId": account["Id"]}
    with pytest.raises(http.client.RemoteDisconnected):
        call(fake, "POST", f"{V}/sobjects/Task", body)
    (task,) = fake.records("Task")  # the org got it
    assert task["WhatId"] == account["Id"]
    logged = fake.requests[-1]
    assert logged.body == body and logged.status is None
    fake.drop_next(1)
    request = urllib.request.Request(
        f"{fake.base_url}{V}/limits", headers={"Authorization": f"Bearer {fake.token}"}
    )
    with pytest.raises((urllib.error.URLError, http.client.RemoteDisconnected)):
        urllib.request.urlopen(request, timeout=5)


def test_malformed_json_responses(fake: SalesforceFake) -> None:
    fake.add_accounts(3)
    fake.malformed_next(2)
    for _ in range(2):
        reply = soql(fake, "SELECT Id FROM Account")
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.raw)
    assert soql(fake, "SELECT Id FROM Account").json["totalSize"] == 3
    # Applied by default: the write goes through though its answer is garbage (204 -> 200).
    account_id = fake.records("Account")[0]["Id"]
    fake.malformed_next(1)
    garbled = call(fake, "PATCH", f"{V}/sobjects/Account/{account_id}", {"Name": "Garbled"})
    assert garbled.status == 200
    assert fake.get(account_id)["Name"] == "Garbled"  # type: ignore[index]
    fake.malformed_next(1, apply=False)
    call(fake, "PATCH", f"{V}/sobjects/Account/{account_id}", {"Name": "Lost"})
    assert fake.get(account_id)["Name"] == "Garbled"  # type: ignore[index]


def test_a_request_limit_storm(fake: SalesforceFake) -> None:
    fake.rate_limit_next(3)
    replies = [soql(fake, "SELECT Id FROM Account") for _ in range(4)]
    assert [r.status for r in replies] == [403, 403, 403, 200]
    assert error_of(replies[0]) == {
        "message": "TotalRequests Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    fake.rate_limit_next(1, limit="ConcurrentPerOrgLongTxn", path="/composite/")
    limited = call(fake, "POST", f"{V}/composite/sobjects", {"records": []})
    assert limited.status == 403
    assert error_of(limited)["message"] == "ConcurrentPerOrgLongTxn Limit exceeded."
    assert [r.fault for r in fake.requests].count("rate_limit") == 4


def test_per_request_delay(fake: SalesforceFake) -> None:
    fake.delay_next(0.3, 1, path="/query$")
    started = time.monotonic()
    assert soql(fake, "SELECT Id FROM Account").status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    soql(fake, "SELECT Id FROM Account")
    assert time.monotonic() - started < 0.3
    fake.latency = 0.1
    started = time.monotonic()
    call(fake, "GET", f"{V}/limits")
    assert time.monotonic() - started >= 0.1
    fake.clear_faults()
    assert fake.latency == 0 and fake.pending_faults() == []


def test_a_delayed_response_times_a_client_out(fake: SalesforceFake) -> None:
    fake.delay_next(1.0)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=0.2)
    conn.request("GET", f"{V}/limits", headers={"Authorization": f"Bearer {fake.token}"})
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()


# ---------------------------------------------------------------- log, threads, seeding


def test_request_log_and_counters(fake: SalesforceFake) -> None:
    account = fake.add_account("Acme")
    soql(fake, "SELECT Id FROM Account")
    call(fake, "GET", f"{V}/sobjects/Account/{account['Id']}")
    call(fake, "GET", f"{V}/sobjects/account/{account['Id']}")  # object names are case-blind
    call(fake, "PATCH", f"{V}/sobjects/Account/CSM_Desk_Id__c/x", {"Name": "X"})
    call(fake, "POST", f"{V}/composite/sobjects", {"records": []})
    counts = fake.counts()
    assert counts["GET /services/data/v60.0/query"] == 1
    assert counts["GET /services/data/v60.0/sobjects/Account/{id}"] == 2
    assert counts["PATCH /services/data/v60.0/sobjects/Account/CSM_Desk_Id__c/{value}"] == 1
    assert counts["POST /services/data/v60.0/composite/sobjects"] == 1
    assert fake.count(method="GET") == 3
    assert fake.count(path=r"/composite/") == 1
    first = fake.requests[0]
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        f"{V}/query",
        {"q": ["SELECT Id FROM Account"]},
        200,
    )
    assert first.authorization == f"Bearer {fake.token}"
    assert fake.requests[3].body == {"Name": "X"}
    assert [r.number for r in fake.requests] == [1, 2, 3, 4, 5]
    fake.reset_log()
    assert fake.requests == [] and fake.counts() == {} and fake.request_count == 5


def test_concurrent_clients_and_faults_are_thread_safe(fake: SalesforceFake) -> None:
    fake.fail_next(5, 500, method="POST")
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(10):
            reply = call(fake, "POST", f"{V}/sobjects/Account", {"Name": f"T{n}-{i}"})
            with lock:
                statuses.append(reply.status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(500) == 5 and statuses.count(201) == 75
    ids = [a["Id"] for a in fake.records("Account")]
    assert len(ids) == len(set(ids)) == 75
    assert fake.count("POST /services/data/v60.0/sobjects/Account") == 80
    assert fake.server_errors == []


def test_seeding_helpers_and_unicode_names(fake: SalesforceFake) -> None:
    accounts = fake.add_accounts(10, unicode=True, ARR__c=lambda i: i * 100.0)
    contacts = fake.add_contacts(20, accounts=accounts[:4], unicode=True)
    assert [c["AccountId"] for c in contacts[:5]] == [accounts[i]["Id"] for i in (0, 1, 2, 3, 0)]
    name = accounts[3]["Name"]
    assert not name.isascii()
    got = call(fake, "GET", f"{V}/sobjects/Account/{accounts[3]['Id']}").json
    assert got["Name"] == name and got["ARR__c"] == 400.0
    found = soql(fake, f"SELECT Id FROM Account WHERE Name = '{name}'").json["records"]
    assert [r["Id"] for r in found] == [accounts[3]["Id"]]
    assert contacts[0]["FirstName"] == "José" and contacts[0]["Name"] == "José Núñez"
    opp = fake.add_opportunity("Renewal", account=accounts[0], stage="Closed Won", amount=1200)
    assert opp["IsWon"] is True and opp["Amount"] == 1200.0
    task = fake.add_task("Check in", what=accounts[0], who=contacts[0], activity_date="2026-12-20")
    assert task["Id"].startswith("00T")
    user = fake.add_user("Casey", "Jones")
    assert user["Id"].startswith("005") and user["Name"] == "Casey Jones"
    assert fake.records("User")[0]["Id"] == fake.user_id
    note = fake.add_note("Ünïcödé note 📝", "Body ✓", linked=[accounts[0], contacts[0]])
    assert fake.notes_for(contacts[0])[0]["Id"] == note["Id"]
    assert len(fake.links(document=note)) == 3  # owner, account, contact
    fake.delete(accounts[9])
    assert len(fake.records("Account")) == 9
    assert fake.get(accounts[9]["Id"][:15])["IsDeleted"] is True  # type: ignore[index]
    fake.undelete(accounts[9])
    assert len(fake.records("Account")) == 10
    assert fake.soql("SELECT COUNT() FROM Contact") == [{"totalSize": 20}]
    with pytest.raises(ValueError, match="REQUIRED_FIELD_MISSING"):
        fake.add("Account", {})
    with pytest.raises(ValueError, match="INVALID_FIELD"):
        fake.soql("SELECT Bogus FROM Account")
    fake.add_field("Account", "Health__c", "picklist", picklist=["Green", "Red"], restricted=True)
    with pytest.raises(ValueError, match="RESTRICTED_PICKLIST"):
        fake.touch(accounts[0], Health__c="Blue")


def test_the_fixture_and_the_context_manager(salesforce_fake: SalesforceFake) -> None:
    assert salesforce_fake.base_url.startswith("http://127.0.0.1:")
    assert salesforce_fake.daily_limit == 100_000 and salesforce_fake.query_batch_size == 2000
    assert call(salesforce_fake, "GET", f"{V}/limits").status == 200
    with SalesforceFake(token="00D!test") as other:
        port = other.port
        assert call(other, "GET", f"{V}/sobjects").status == 200
        # A keep-alive connection left open does not stop the fake from stopping.
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        idle.request("GET", f"{V}/limits", headers={"Authorization": "Bearer x"})
        idle.getresponse().read()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
    idle.close()
    assert urlsplit(salesforce_fake.base_url).port != port
