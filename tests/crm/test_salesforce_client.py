"""The Salesforce client against the loopback fake Salesforce (real HTTP over 127.0.0.1, no
mocks)."""

from __future__ import annotations

import base64
import logging
import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

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
from csmdesk.crm.salesforce import (
    MultipleMatches,
    Page,
    RequestLimitExceeded,
    SalesforceClient,
    SessionExpired,
    error_code,
    note_html,
    soql_datetime,
    soql_literal,
    soql_quote,
    to_ms,
)
from tests.crm.salesforce_fake import SalesforceFake, parse_sf_datetime

START = datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)
V = "/services/data/v60.0"
QUERY = f"GET {V}/query"
QUERY_ALL = f"GET {V}/queryAll"
MORE = f"GET {V}/query/{{locator}}"
COLLECTION = f"PATCH {V}/composite/sobjects"
TOKEN = "POST /services/oauth2/token"
MakeFake = Callable[..., SalesforceFake]


class FakeTime:
    """An injected clock and sleep: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def fake(make_salesforce_fake: MakeFake) -> SalesforceFake:
    """A fake org on a fixed clock (2026-12-08T01:02:03Z) that moves only when told."""
    return make_salesforce_fake(start_time=START, real_time=False)


@pytest.fixture
def ticks() -> FakeTime:
    return FakeTime()


@pytest.fixture
def connect(ticks: FakeTime) -> Iterator[Callable[..., SalesforceClient]]:
    clients: list[SalesforceClient] = []

    def make(
        fake: SalesforceFake, *, refresh: bool = False, token: str | None = None, **options: Any
    ) -> SalesforceClient:
        options.setdefault("sleep", ticks.sleep)
        options.setdefault("clock", ticks.clock)
        options.setdefault("rng", random.Random(7))
        if refresh:
            options.setdefault("refresh_token", fake.refresh_token)
            options.setdefault("client_id", fake.client_id)
            options.setdefault("login_url", fake.login_url)
        client = SalesforceClient(fake.token if token is None else token, fake.base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _ids(pages: list[Page]) -> list[str]:
    return [r["Id"] for p in pages for r in p.results]


# ---------------------------------------------------------------- SOQL literals


def test_soql_literals_are_escaped() -> None:
    assert soql_quote("O'Brien") == r"'O\'Brien'"
    assert soql_quote('a\\b"c\nd') == r"'a\\b\"c\nd'"
    assert soql_literal(None) == "null"
    assert soql_literal(True) == "true"
    assert soql_literal(42) == "42"
    assert soql_literal(1.5) == "1.5"
    assert soql_literal(date(2026, 12, 8)) == "2026-12-08"
    assert soql_literal(datetime(2026, 12, 8, 1, 2, 3, 456000, tzinfo=UTC)) == (
        "2026-12-08T01:02:03Z"
    )
    assert soql_datetime(START_MS + 999) == "2026-12-08T01:02:03Z"  # the stored precision
    with pytest.raises(ValueError):
        soql_literal(float("nan"))
    assert note_html('Q&A <b>\r\nit\'s "x"') == "Q&amp;A &lt;b&gt;<br>it&#39;s &quot;x&quot;"


def test_names_in_paths_and_queries_are_checked(fake: SalesforceFake, connect: Any) -> None:
    client = connect(fake)
    with pytest.raises(ValueError):
        client.describe("Account/../limits")
    with pytest.raises(ValueError):
        client.find_by_field("Account", "Name FROM User --", ["x"], ["Id"])
    with pytest.raises(ValueError):
        client.get("Account", "../../limits")
    with pytest.raises(ValueError):
        client.query_page("", next_url="https://elsewhere.example/services/data/v60.0/query/x")
    with pytest.raises(ValueError):
        SalesforceClient("tok", "http://example.com")  # a token never crosses a network in clear
    assert fake.request_count == 0


# ---------------------------------------------------------------- reading


def test_pages_a_2500_record_query_through_next_records_url(
    fake: SalesforceFake, connect: Any
) -> None:
    fake.add_accounts(2500)
    client = connect(fake)
    first = client.query_page("SELECT Id, Name, SystemModstamp FROM Account ORDER BY Name")
    assert len(first.results) == 2000 and first.after is not None
    assert first.after.startswith(f"{V}/query/")
    assert first.max_modified_ms == max(to_ms(r["SystemModstamp"]) or 0 for r in first.results)
    second = client.query_page("", next_url=first.after)
    assert len(second.results) == 500 and second.after is None
    names = [r["Name"] for r in first.results + second.results]
    assert names == [f"Account {i:04d}" for i in range(1, 2501)]
    assert fake.count(QUERY) == 1 and fake.count(MORE) == 1
    assert client.requests_made == 2 and client.retries == 0
    # A smaller batch is asked for with Sforce-Query-Options.
    fake.reset_log()
    pages = list(client.iter_query("SELECT Id FROM Account", batch=500))
    assert [len(p.results) for p in pages] == [500] * 5
    assert len(set(_ids(pages))) == 2500
    assert fake.count(QUERY) == 1 and fake.count(MORE) == 4


def test_iter_modified_returns_only_what_changed_and_sees_deletions(
    fake: SalesforceFake, connect: Any
) -> None:
    accounts = fake.add_accounts(30)
    client = connect(fake)
    everything = list(client.iter_modified("Account", None, ["Name", "ARR__c"]))
    assert len(_ids(everything)) == 30
    fake.advance(60)
    since = fake.now_ms()  # the last sync ran here
    fake.advance(5)
    fake.touch(accounts[7], ARR__c=77_000)
    fake.advance(1)
    fake.delete(accounts[3])
    fake.advance(1)
    fake.touch(accounts[20], system_only=True)  # a system process: only SystemModstamp moves
    fake.reset_log()
    pages = list(client.iter_modified("Account", since, ["Name", "ARR__c"]))
    rows = [r for p in pages for r in p.results]
    assert [r["Id"] for r in rows] == [accounts[i]["Id"] for i in (7, 3, 20)]
    assert rows[0]["ARR__c"] == 77_000.0 and rows[0]["IsDeleted"] is False
    assert rows[1]["IsDeleted"] is True  # deleted to the recycle bin: still a record
    assert pages[-1].max_modified_ms == to_ms(rows[2]["SystemModstamp"])
    assert fake.count(QUERY_ALL) == 1 and len(fake.requests) == 1
    soql = fake.requests[0].query["q"][0]
    assert soql == (
        "SELECT Name, ARR__c, Id, SystemModstamp, IsDeleted FROM Account "
        f"WHERE SystemModstamp >= {soql_datetime(since)} ORDER BY SystemModstamp, Id"
    )
    # Nothing changed since the newest stamp's second but that second itself.
    again = list(client.iter_modified("Account", pages[-1].max_modified_ms, ["Name"]))
    assert _ids(again) == [accounts[20]["Id"]]


def test_records_modified_in_the_watermarks_second_come_again(
    fake: SalesforceFake, connect: Any
) -> None:
    """Salesforce stamps to the second: a write later in the watermark's second has the
    watermark's stamp, so the pull is ``>=`` and repeats that second; callers de-duplicate,
    by content, since the record's ``SystemModstamp`` did not change with its new values."""
    accounts = fake.add_accounts(3)
    client = connect(fake)
    (first,) = list(client.iter_modified("Account", None, ["Name"]))
    watermark = first.max_modified_ms
    assert watermark == START_MS  # 2026-12-08T01:02:03.000
    fake.touch(accounts[1], Name="Renamed in the same second")
    (second,) = list(client.iter_modified("Account", watermark, ["Name"]))
    assert _ids([second]) == [a["Id"] for a in accounts]  # all three, again
    renamed = next(r for r in second.results if r["Id"] == accounts[1]["Id"])
    assert renamed["Name"] == "Renamed in the same second"
    assert to_ms(renamed["SystemModstamp"]) == watermark  # same stamp, new values
    fake.advance(1)
    assert list(client.iter_modified("Account", watermark + 1000, ["Name"])) == []


def test_an_expired_query_locator_is_replaced_by_a_new_query(
    make_salesforce_fake: MakeFake, connect: Any
) -> None:
    fake = make_salesforce_fake(start_time=START, real_time=False, query_locator_ttl=60)
    accounts = fake.add_accounts(600)
    client = connect(fake)
    pages = client.iter_modified("Account", None, ["Name"], batch=200)
    seen = _ids([next(pages)])
    fake.advance(61)  # a long pause between pages: the locator expired
    seen += _ids(list(pages))
    assert set(seen) == {a["Id"] for a in accounts}
    assert fake.count(QUERY_ALL) == 2  # the first query, then one from the newest stamp


def test_get_describe_identity_and_limits(fake: SalesforceFake, connect: Any) -> None:
    account = fake.add_account("Acme", ARR__c=12_000)
    client = connect(fake)
    record = client.get("Account", account["Id"], ["Name", "ARR__c"])
    assert record["Name"] == "Acme" and record["ARR__c"] == 12_000.0
    assert set(client.get("Account", account["Id"])) >= {"Name", "Website", "SystemModstamp"}
    fields = {f["name"]: f for f in client.describe("Account")["fields"]}
    assert fields["CSM_Desk_Id__c"]["externalId"] is True and fields["CSM_Desk_Id__c"]["custom"]
    assert fields["Name"]["type"] == "string" and fields["Name"]["updateable"] is True
    assert fields["Name"]["label"] == "Account Name"
    me = client.identity()
    assert me["organization_id"] == fake.org_id and me["user_id"] == fake.user_id
    assert me["preferred_username"] == fake.username
    limits = client.limits()
    assert limits["DailyApiRequests"]["Max"] == 100_000
    assert client.api_usage == (fake.api_usage, 100_000)
    (user,) = [
        r
        for p in client.iter_modified("User", None, ["Username"], deleted=False)
        for r in p.results
    ]
    assert user["Username"] == fake.username and "IsDeleted" not in user
    fake.delete(account)
    with pytest.raises(NotFound):
        client.get("Account", account["Id"])


def test_find_by_field_chunks_and_escapes_values(fake: SalesforceFake, connect: Any) -> None:
    accounts = fake.add_accounts(450, CSM_Desk_Id__c=lambda i: f"acct-{i}")
    tricky = fake.add_account('O\'Brien \\ "Søn" 株式会社', CSM_Desk_Id__c="it's")
    client = connect(fake)
    wanted = [f"acct-{i}" for i in range(1, 451)] + ["it's", "nobody", "acct-1"]
    found = client.find_by_field("Account", "CSM_Desk_Id__c", wanted, ["Name", "CSM_Desk_Id__c"])
    assert len(found) == 451
    assert {r["Id"] for r in found} == {a["Id"] for a in accounts} | {tricky["Id"]}
    assert fake.count(QUERY) == 3  # 200 + 200 + 52 values
    (by_name,) = client.find_by_field("Account", "Name", [tricky["Name"]], ["Name"])
    assert by_name["Id"] == tricky["Id"]
    # A value is a literal, never SOQL: this finds nothing rather than everything.
    assert client.find_by_field("Account", "Name", ["x' OR Name != '"], ["Name"]) == []
    assert client.find_by_field("Account", "Name", [], ["Name"]) == []


# ---------------------------------------------------------------- writing


def test_create_update_and_task(fake: SalesforceFake, connect: Any) -> None:
    account = fake.add_account("Acme")
    contact = fake.add_contact("Doe", account=account)
    client = connect(fake)
    new_id = client.create("Account", {"Name": "Globex", "ARR__c": 5000})
    assert fake.get(new_id)["Name"] == "Globex"  # type: ignore[index]
    client.update("Account", new_id, {"ARR__c": 6000, "Industry": "Finance"})
    stored = fake.get(new_id)
    assert stored is not None and stored["ARR__c"] == 6000.0 and stored["Industry"] == "Finance"
    task_id = client.create_task(
        "QBR",
        "Went well",
        what_id=account["Id"],
        who_id=contact["Id"],
        activity_date=date(2026, 12, 1),
    )
    task = fake.get(task_id)
    assert task is not None and task_id.startswith("00T")
    assert (task["Subject"], task["Status"], task["ActivityDate"]) == (
        "QBR",
        "Completed",
        "2026-12-01",
    )
    assert (task["WhatId"], task["WhoId"], task["Description"]) == (
        account["Id"],
        contact["Id"],
        "Went well",
    )
    with pytest.raises(ValidationFailed) as bad:
        client.create("Account", {"Name": "X", "NumberOfEmployees": "many"})
    assert error_code(bad.value) == "JSON_PARSER_ERROR" and "many" in str(bad.value)
    with pytest.raises(ValidationFailed) as missing:
        client.create("Account", {"Website": "https://x.example"})
    assert error_code(missing.value) == "REQUIRED_FIELD_MISSING"
    assert "Name" in str(missing.value)


def test_upsert_creates_then_updates_one_record(fake: SalesforceFake, connect: Any) -> None:
    client = connect(fake)
    first = client.upsert("Account", "CSM_Desk_Id__c", "acct-42", {"Name": "Initech"})
    again = client.upsert("Account", "CSM_Desk_Id__c", "acct-42", {"Name": "Initech Ltd"})
    assert first[1] is True and again == (first[0], False)
    (record,) = fake.records("Account")
    assert record["Id"] == first[0] and record["Name"] == "Initech Ltd"
    assert record["CSM_Desk_Id__c"] == "acct-42"
    assert fake.count(f"PATCH {V}/sobjects/Account/CSM_Desk_Id__c/{{value}}") == 2
    # A value that cannot travel in a URL path goes in a collection upsert's body.
    slash = client.upsert("Account", "CSM_Desk_Id__c", "a/b c", {"Name": "Slash"})
    assert slash[1] is True and fake.get(slash[0])["CSM_Desk_Id__c"] == "a/b c"  # type: ignore[index]
    assert client.upsert("Account", "CSM_Desk_Id__c", "a/b c", {"Name": "S"}) == (slash[0], False)


def test_an_upsert_is_retried_after_a_drop_and_still_makes_one_record(
    fake: SalesforceFake, connect: Any
) -> None:
    client = connect(fake)
    fake.drop_after_apply(method="PATCH")
    record_id, created = client.upsert("Contact", "CSM_Desk_Id__c", "c-1", {"LastName": "Ng"})
    assert fake.count(method="PATCH") == 2 and len(fake.records("Contact")) == 1
    assert fake.get(record_id)["LastName"] == "Ng"  # type: ignore[index]
    assert created is False  # the retry found what the dropped attempt had created


def test_an_ambiguous_upsert_is_300_multiple_matches(fake: SalesforceFake, connect: Any) -> None:
    one = fake.add_account("One", CSM_Desk_Id__c="dup")
    two = fake.add_account("Two", CSM_Desk_Id__c="dup")
    client = connect(fake)
    with pytest.raises(MultipleMatches) as found:
        client.upsert("Account", "CSM_Desk_Id__c", "dup", {"Name": "Which?"})
    assert isinstance(found.value, Conflict) and found.value.status == 300
    assert sorted(found.value.record_ids) == sorted([one["Id"], two["Id"]])
    assert fake.count(method="PATCH") == 1  # not retried
    assert {a["Name"] for a in fake.records("Account")} == {"One", "Two"}


def test_a_create_is_not_sent_again_after_a_drop_after_apply(
    fake: SalesforceFake, connect: Any
) -> None:
    client = connect(fake)
    fake.drop_after_apply(method="POST", path=r"/sobjects/Account$")
    with pytest.raises(NetworkError) as dropped:
        client.create("Account", {"Name": "Hooli", "CSM_Desk_Id__c": "acct-7"})
    assert dropped.value.maybe_applied is True
    assert "may or may not have been saved" in str(dropped.value)
    assert fake.count(f"POST {V}/sobjects/Account") == 1
    assert [a["Name"] for a in fake.records("Account")] == ["Hooli"]  # it was applied, once
    # The caller looks before creating again, by the external id it wrote.
    (found,) = client.find_by_field("Account", "CSM_Desk_Id__c", ["acct-7"], ["Name"])
    assert found["Name"] == "Hooli"
    # A drop before anything was applied is different only to the fake: still not resent.
    fake.drop_next(method="POST")
    with pytest.raises(NetworkError):
        client.create("Account", {"Name": "Pied Piper"})
    assert fake.count(f"POST {V}/sobjects/Account") == 2


def test_composite_update_chunks_at_200_with_per_record_errors(
    fake: SalesforceFake, connect: Any
) -> None:
    accounts = fake.add_accounts(450)
    gone = fake.add_account("Gone")
    fake.delete(gone)
    client = connect(fake)
    updates = [{"Id": a["Id"], "ARR__c": i * 10} for i, a in enumerate(accounts)]
    updates[5]["NumberOfEmployees"] = "lots"  # this record fails alone (allOrNone false)
    updates.append({"Id": gone["Id"], "Name": "Back?"})
    results = client.composite_update("Account", updates)
    assert fake.count(COLLECTION) == 3  # 200 + 200 + 51
    assert [r["id"] for r in results] == [u["Id"] for u in updates]
    failed = [i for i, r in enumerate(results) if not r["success"]]
    assert failed == [5, 450]
    assert results[5]["errors"][0]["statusCode"] == "JSON_PARSER_ERROR"
    assert results[450]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    arr = {a["Id"]: a["ARR__c"] for a in fake.records("Account")}
    assert arr[accounts[449]["Id"]] == 4490.0 and arr[accounts[5]["Id"]] is None
    bodies = [r.body for r in fake.requests if r.endpoint == COLLECTION]
    assert [len(b["records"]) for b in bodies] == [200, 200, 51]
    assert all(b["allOrNone"] is False for b in bodies)
    assert bodies[0]["records"][0]["attributes"] == {"type": "Account"}
    with pytest.raises(ValueError):
        client.composite_update("Account", [{"Name": "no id"}])


def test_a_failed_chunk_keeps_the_earlier_results(fake: SalesforceFake, connect: Any) -> None:
    accounts = fake.add_accounts(250)
    client = connect(fake)
    updates = [{"Id": a["Id"], "ARR__c": 1} for a in accounts]
    fake.expire_token_at(fake.request_count + 2)  # the second chunk meets an expired session
    with pytest.raises(SessionExpired) as failed:
        client.composite_update("Account", updates)
    assert len(failed.value.partial_results) == 200
    assert all(r["success"] for r in failed.value.partial_results)
    # A 5xx on an update is retried (repeating it changes nothing).
    client = connect(fake, token=fake.issue_token())
    fake.fail_next(1, 500, method="PATCH")
    results = client.composite_update("Account", updates)
    assert len(results) == 250 and all(r["success"] for r in results)


def test_unicode_names_round_trip(fake: SalesforceFake, connect: Any) -> None:
    seeded = fake.add_accounts(5, unicode=True)
    client = connect(fake)
    pulled = {
        r["Id"]: r["Name"]
        for p in client.iter_modified("Account", None, ["Name"])
        for r in p.results
    }
    assert pulled == {a["Id"]: a["Name"] for a in seeded}
    name = 'Ærøskøbing Kaffe & Çay — 東京支社 "Ω" O\'Neil \\ 🚀'
    new_id = client.create("Account", {"Name": name, "Description": "Zürich\nÉquipe ✓"})
    record = client.get("Account", new_id, ["Name", "Description"])
    assert record["Name"] == name and record["Description"] == "Zürich\nÉquipe ✓"
    (found,) = client.find_by_field("Account", "Name", [name], ["Name"])
    assert found["Id"] == new_id
    client.update("Account", new_id, {"Name": "Straße"})
    assert fake.get(new_id)["Name"] == "Straße"  # type: ignore[index]


def test_a_content_note_is_linked_to_each_record(fake: SalesforceFake, connect: Any) -> None:
    account = fake.add_account("Acme")
    contact = fake.add_contact("Doe", account=account)
    client = connect(fake)
    text = "QBR: renewal on track & <expansion> likely.\nIt's Ünïcödé ✓"
    note_id = client.create_note("QBR notes", text, [account["Id"], contact["Id"], fake.user_id])
    assert note_id.startswith("069")
    expected = "QBR: renewal on track &amp; &lt;expansion&gt; likely.<br>It&#39;s Ünïcödé ✓"
    for entity in (account, contact):
        (note,) = fake.notes_for(entity)
        assert note["Id"] == note_id and note["Title"] == "QBR notes"
        assert note["Content"] == expected
    links = {(link["LinkedEntityId"], link["ShareType"]) for link in fake.links(document=note_id)}
    # The owner's link Salesforce makes itself (I) stands; linking the owner again is no error.
    assert links == {(account["Id"], "V"), (contact["Id"], "V"), (fake.user_id, "I")}
    assert fake.count(f"POST {V}/sobjects/ContentNote") == 1
    assert fake.count(f"POST {V}/composite/sobjects") == 1  # every link in one request
    sent = next(r for r in fake.requests if r.endpoint == f"POST {V}/sobjects/ContentNote")
    assert base64.b64decode(sent.body["Content"]).decode() == expected
    # A link that cannot be made is reported, with the note that was saved.
    fake.delete(contact)
    with pytest.raises(ValidationFailed) as failed:
        client.create_note("Second", "x", [account["Id"], contact["Id"]])
    assert "saved the note" in str(failed.value) and contact["Id"] in str(failed.value)
    (saved,) = failed.value.partial_results
    assert {n["Id"] for n in fake.notes_for(account)} == {note_id, saved["id"]}


# ---------------------------------------------------------------- sessions


def test_an_expired_session_is_refreshed_once_and_the_request_sent_again(
    fake: SalesforceFake, connect: Any
) -> None:
    saved: list[tuple[str, str | None]] = []
    client = connect(fake, refresh=True, on_refresh=lambda a, r: saved.append((a, r)))
    old = fake.token
    assert client.limits()["DailyApiRequests"]["Max"] == 100_000
    fake.expire_token()
    assert client.identity()["user_id"] == fake.user_id  # userinfo says 403 Bad_OAuth_Token
    fake.expire_token()
    new_id = client.create("Account", {"Name": "After the refresh"})  # a 401 applied nothing
    assert [a["Name"] for a in fake.records("Account")] == ["After the refresh"]
    assert fake.get(new_id) is not None
    assert fake.count(TOKEN) == 2 and client.api.refreshes == 2
    assert len(saved) == 2 and saved[-1] == (client.api.access_token, None)  # none rotated
    assert saved[-1][0] == fake.token != old
    assert fake.requests[-1].authorization == f"Bearer {fake.token}"
    statuses = [r.status for r in fake.requests if r.endpoint == f"POST {V}/sobjects/Account"]
    assert statuses == [401, 201]
    client.refresh()  # on demand too
    assert fake.count(TOKEN) == 3


def test_threads_meeting_an_expired_session_refresh_it_once(
    fake: SalesforceFake, connect: Any
) -> None:
    client = connect(fake, refresh=True)
    fake.expire_token()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                client.limits()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert fake.count(TOKEN) == 1 and fake.count(f"GET {V}/limits") >= 20


def test_without_a_refresh_token_an_expired_session_says_reconnect(
    fake: SalesforceFake, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(fake)
    fake.fail_next(1, 503)
    client.limits()  # a retry, logged
    fake.expire_token()
    with pytest.raises(AuthError) as expired:
        client.limits()
    assert isinstance(expired.value, SessionExpired) and expired.value.status == 401
    assert "reconnect" in str(expired.value)
    assert error_code(expired.value) == "INVALID_SESSION_ID"
    assert fake.count(f"GET {V}/limits") == 3 and fake.count(TOKEN) == 0
    with pytest.raises(AuthError) as refused:
        client.refresh()
    assert "reconnect" in str(refused.value)
    assert "retry 1 of 5" in caplog.text
    for text in (str(expired.value), repr(expired.value), repr(client), repr(client.api)):
        assert fake.token not in text
    assert fake.token not in caplog.text


def test_a_revoked_refresh_token_says_reconnect(
    fake: SalesforceFake, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(fake, refresh=True)
    fake.revoke_refresh_token()
    fake.expire_token()
    with pytest.raises(AuthError) as refused:
        client.limits()
    message = str(refused.value)
    assert "reconnect" in message and error_code(refused.value) == "invalid_grant"
    assert fake.count(TOKEN) == 1 and fake.count(f"GET {V}/limits") == 1
    for secret in (fake.token, fake.refresh_token):
        assert secret not in message and secret not in caplog.text


def test_a_session_refused_right_after_a_refresh_is_not_refreshed_again(
    fake: SalesforceFake, connect: Any
) -> None:
    client = connect(fake, refresh=True)
    fake.fail_next(
        2,
        401,
        body=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        path=r"/limits$",
    )
    with pytest.raises(SessionExpired) as refused:
        client.limits()
    assert "reconnect" in str(refused.value)
    assert fake.count(TOKEN) == 1 and fake.count(f"GET {V}/limits") == 2


# ---------------------------------------------------------------- limits and faults


def test_the_daily_request_limit_is_rate_limited_not_auth(
    fake: SalesforceFake, connect: Any, ticks: FakeTime
) -> None:
    client = connect(fake)
    client.limits()
    fake.rate_limit_next(1)
    with pytest.raises(RateLimited) as limited:
        client.limits()
    assert not isinstance(limited.value, AuthError)
    assert isinstance(limited.value, RequestLimitExceeded) and limited.value.daily
    assert error_code(limited.value) == "REQUEST_LIMIT_EXCEEDED"
    assert "24-hour" in str(limited.value) and fake.count(f"GET {V}/limits") == 2
    assert ticks.sleeps == []  # not retried
    # The org's allowance really used up: the message carries the usage the header reported.
    fake.daily_limit = fake.api_usage
    with pytest.raises(RequestLimitExceeded) as used_up:
        client.limits()
    assert f"of {fake.daily_limit:,}" in str(used_up.value)
    assert client.api_usage == (fake.api_usage, fake.daily_limit)


def test_the_concurrent_request_limit_is_backed_off(
    fake: SalesforceFake, connect: Any, ticks: FakeTime
) -> None:
    client = connect(fake)
    fake.rate_limit_next(2, limit="ConcurrentPerOrgLongTxn")
    new_id = client.create("Account", {"Name": "Eventually"})  # a 403 applied nothing
    assert fake.get(new_id) is not None and len(ticks.sleeps) == 2
    assert fake.count(f"POST {V}/sobjects/Account") == 3
    fake.rate_limit_next(10, limit="ConcurrentPerOrgLongTxn")
    with pytest.raises(RequestLimitExceeded) as busy:
        client.limits()
    assert not busy.value.daily and "at once" in str(busy.value)
    assert fake.count(f"GET {V}/limits") == 6


def test_5xx_and_html_error_pages_are_retried_then_raised(
    fake: SalesforceFake, connect: Any, ticks: FakeTime
) -> None:
    fake.add_accounts(3)
    client = connect(fake)
    fake.fail_next(2, 503, html=True)
    assert len(client.query_page("SELECT Id FROM Account").results) == 3
    assert len(ticks.sleeps) == 2 and client.retries == 2
    fake.fail_next(10, 500)
    with pytest.raises(ServerError) as failed:
        client.query_page("SELECT Id FROM Account")
    assert failed.value.status == 500 and "tried 6 times" in str(failed.value)
    fake.clear_faults()
    fake.fail_next(10, 503, html=True)
    with pytest.raises(ServerError) as html:
        client.limits()
    assert html.value.status == 503 and "<html" not in str(html.value).lower()
    assert fake.count(QUERY) == 9 and fake.count(f"GET {V}/limits") == 6
    # A create is not repeated after a 5xx: Salesforce may have saved it.
    fake.clear_faults()
    fake.fail_next(1, 500, method="POST")
    with pytest.raises(ServerError) as create:
        client.create("Account", {"Name": "Maybe"})
    assert create.value.maybe_applied and fake.count(f"POST {V}/sobjects/Account") == 1


def test_malformed_json_is_retried_then_raised(fake: SalesforceFake, connect: Any) -> None:
    fake.add_accounts(3)
    client = connect(fake)
    fake.malformed_next(1, path=r"/query$")
    assert len(client.query_page("SELECT Id FROM Account").results) == 3
    fake.malformed_next(10, path=r"/query$")
    with pytest.raises(MalformedResponse):
        client.query_page("SELECT Id FROM Account")
    assert fake.count(QUERY) == 8
    fake.clear_faults()
    fake.malformed_next(1, method="POST")
    with pytest.raises(MalformedResponse) as create:
        client.create("Account", {"Name": "Saved, unreadably"})
    assert create.value.maybe_applied and fake.count(f"POST {V}/sobjects/Account") == 1
    assert "probably saved" in str(create.value)


def test_bad_soql_is_a_validation_error_with_salesforces_code(
    fake: SalesforceFake, connect: Any
) -> None:
    client = connect(fake)
    with pytest.raises(ValidationFailed) as bad:
        client.query_page("SELECT Nope__c FROM Account")
    assert error_code(bad.value) == "INVALID_FIELD" and "Nope__c" in str(bad.value)
    assert isinstance(bad.value, CrmError) and bad.value.status == 400
    assert fake.count(QUERY) == 1  # a 400 is not retried


def test_sobject_timestamps_parse_as_epoch_ms() -> None:
    stamp = "2026-12-08T01:02:03.000+0000"
    assert to_ms(stamp) == parse_sf_datetime(stamp) == START_MS
