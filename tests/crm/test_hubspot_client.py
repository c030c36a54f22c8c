"""The HubSpot client against the loopback fake HubSpot (real HTTP over 127.0.0.1, no mocks)."""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

import tests.crm.hubspot_fake as hubspot_fake
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
from csmdesk.crm.http import ApiClient, check_base_url
from csmdesk.crm.hubspot import HubSpotClient, Page, to_ms
from tests.crm.hubspot_fake import HubSpotFake

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MakeFake = Callable[..., HubSpotFake]


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
def fake(make_hubspot_fake: MakeFake) -> HubSpotFake:
    """A fake on a fixed clock whose limits the fake-time client cannot trip by accident."""
    return make_hubspot_fake(
        start_time=START, real_time=False, burst_limit=10_000, search_per_second=10_000
    )


@pytest.fixture
def ticks() -> FakeTime:
    return FakeTime()


@pytest.fixture
def connect(ticks: FakeTime) -> Iterator[Callable[..., HubSpotClient]]:
    clients: list[HubSpotClient] = []

    def make(fake: HubSpotFake, token: str | None = None, **options: Any) -> HubSpotClient:
        options.setdefault("sleep", ticks.sleep)
        options.setdefault("clock", ticks.clock)
        options.setdefault("rng", random.Random(7))
        client = HubSpotClient(fake.token if token is None else token, fake.base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _stored(fake: HubSpotFake, object_type: str, object_id: str) -> dict[str, Any]:
    record = fake.get(object_type, object_id)
    assert record is not None
    return record


def _ids(pages: list[Page]) -> list[str]:
    return [r["id"] for p in pages for r in p.results]


# ---------------------------------------------------------------- reading


def test_lists_250_companies_in_three_requests(fake: HubSpotFake, connect: Any) -> None:
    fake.add_companies(250)
    client = connect(fake)
    seen: list[str] = []
    after = None
    while True:
        page = client.list_page("companies", ["name", "arr"], after=after)
        seen += [r["id"] for r in page.results]
        assert page.max_modified_ms == max(
            to_ms(r["properties"]["hs_lastmodifieddate"]) or 0 for r in page.results
        )
        after = page.after
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 250
    assert {r["id"] for r in fake.objects("companies")} == set(seen)
    assert fake.count("GET /crm/v3/objects/companies") == 3
    assert client.requests_made == 3 and client.retries == 0
    query = fake.requests[0].query
    assert query["limit"] == ["100"] and query["properties"] == ["name,arr"]


def test_iter_modified_returns_only_what_changed_after_the_watermark(
    fake: HubSpotFake, connect: Any
) -> None:
    companies = fake.add_companies(40)
    watermark = max(to_ms(c["properties"]["hs_lastmodifieddate"]) or 0 for c in companies)
    fake.advance(60)
    touched = fake.touch("companies", companies[3], companies[17], companies[30], arr=5)
    contacts = fake.add_contacts(5)
    fake.touch("contacts", contacts[1])
    client = connect(fake)

    pages = list(client.iter_modified("companies", watermark + 1, ["name", "arr"], limit=2))
    assert _ids(pages) == [c["id"] for c in touched]  # oldest change first
    assert pages[-1].max_modified_ms == to_ms(touched[-1]["updatedAt"])
    assert all(p.after is None for p in pages)
    assert all(r["properties"]["arr"] == "5" for p in pages for r in p.results)
    search = fake.requests[0].body
    assert search["filterGroups"][0]["filters"] == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(watermark + 1)}
    ]
    assert search["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]

    # Contacts keep their modified date in lastmodifieddate.
    newest = max(to_ms(c["properties"]["lastmodifieddate"]) or 0 for c in contacts)
    pages = list(client.iter_modified("contacts", newest + 1, ["email"]))
    assert _ids(pages) == [contacts[1]["id"]]
    assert fake.requests[-1].body["sorts"][0]["propertyName"] == "lastmodifieddate"
    # Nothing new: one search, no pages.
    assert list(client.iter_modified("contacts", pages[0].max_modified_ms + 1, ["email"])) == []


def test_more_than_the_search_cap_comes_back_exactly_once(
    fake: HubSpotFake, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HubSpot refuses to page a search past 10,000 results. Seeding 10,050 records makes the
    fake's search take ~13 s, so the fake's cap is lowered to 1,000 for 2,050 records: the
    iteration must never send an offset, and still return every record once."""
    client = connect(fake)
    with pytest.raises(ValidationFailed, match="10000"):
        client.search_modified_page("contacts", None, ["email"], after="10000")

    monkeypatch.setattr(hubspot_fake, "SEARCH_RESULT_CAP", 1_000)
    contacts = fake.add_contacts(2_050)
    with pytest.raises(ValidationFailed, match="1000"):
        client.search_modified_page("contacts", None, ["email"], after="1000")

    fake.reset_log()
    pages = list(client.iter_modified("contacts", None, ["email"], limit=200))
    ids = _ids(pages)
    assert len(ids) == len(set(ids)) == 2_050  # no repeats even before a caller dedupes
    assert set(ids) == {c["id"] for c in contacts}
    stamps = [to_ms(r["properties"]["lastmodifieddate"]) or 0 for p in pages for r in p.results]
    assert stamps == sorted(stamps)
    searches = fake.requests
    assert all(r.status == 200 for r in searches)
    assert all("after" not in r.body for r in searches)
    assert len(searches) == 11  # ten full pages (each repeats one boundary record), one tail


def test_a_record_edited_mid_pull_does_not_make_another_skipped(
    fake: HubSpotFake, connect: Any
) -> None:
    """With offsets, editing a record already read moves it to the end and shifts the rest
    left, so the first record of the next page would be skipped (and the watermark would pass
    it). Paging by date cannot skip."""
    companies = fake.add_companies(30)
    client = connect(fake)
    pages = client.iter_modified("companies", None, ["name"], limit=10)
    first = next(pages)
    fake.touch("companies", first.results[2], name="Edited meanwhile")
    rest = list(pages)
    ids = [r["id"] for r in first.results] + _ids(rest)
    assert set(ids) == {c["id"] for c in companies}
    assert len(ids) == 31  # the edited record came back once more, with its new version
    assert rest[-1].results[-1]["id"] == first.results[2]["id"]
    assert rest[-1].results[-1]["properties"]["name"] == "Edited meanwhile"


def test_a_full_page_at_one_instant_is_walked_by_id(fake: HubSpotFake, connect: Any) -> None:
    """With a page of one, each next search starts with the record already returned: the
    instant is walked by hs_object_id before moving past it."""
    companies = fake.add_companies(4)
    client = connect(fake)
    pages = list(client.iter_modified("companies", None, ["name"], limit=1))
    assert _ids(pages) == [c["id"] for c in companies]
    walks = [r.body for r in fake.requests if r.body["sorts"][0]["propertyName"] == "hs_object_id"]
    assert walks and walks[0]["filterGroups"][0]["filters"][0]["operator"] == "EQ"


def test_batch_requests_are_chunked_at_100(fake: HubSpotFake, connect: Any) -> None:
    client = connect(fake)
    created = client.batch_create(
        "companies", [{"properties": {"name": f"Batch {i}", "arr": i}} for i in range(250)]
    )
    assert len(created) == 250 == len(fake.objects("companies"))
    assert fake.count("POST /crm/v3/objects/companies/batch/create") == 3
    ids = [c["id"] for c in created]

    read = client.batch_read("companies", [*ids, "999999"], ["name", "arr"])
    assert sorted(r["id"] for r in read) == sorted(ids)  # the missing id is left out (207)
    assert fake.count("POST /crm/v3/objects/companies/batch/read") == 3

    updated = client.batch_update(
        "companies", [{"id": i, "properties": {"arr": 7}} for i in ids[:150]]
    )
    assert len(updated) == 150
    assert fake.count("POST /crm/v3/objects/companies/batch/update") == 2
    assert {_stored(fake, "companies", i)["properties"]["arr"] for i in ids[:150]} == {"7"}
    assert all(len(r.body["inputs"]) <= 100 for r in fake.requests)


def test_find_by_property_chunks_values(fake: HubSpotFake, connect: Any) -> None:
    contacts = fake.add_contacts(150)
    client = connect(fake)
    emails = [c["properties"]["email"] for c in contacts]
    found = client.find_by_property("contacts", "email", [e.upper() for e in emails], ["email"])
    assert sorted(r["id"] for r in found) == sorted(c["id"] for c in contacts)
    assert fake.count("POST /crm/v3/objects/contacts/search") == 2  # IN with ≤100 values

    company = fake.add_company("Acme")
    note = fake.add_note("Call notes <p>ref csmdeskabc123</p>", company=company)
    fake.add_note("Another note", company=company)
    hits = client.find_by_property(
        "notes", "hs_note_body", ["csmdeskabc123", "nothinghere"], ["hs_note_body"],
        operator="CONTAINS_TOKEN",
    )  # fmt: skip
    assert [r["id"] for r in hits] == [note["id"]]
    assert len(fake.requests[-1].body["filterGroups"]) == 2
    assert client.find_by_property("contacts", "email", [], ["email"]) == []


def test_associations_are_read_in_batches_and_follow_paging(
    fake: HubSpotFake, connect: Any
) -> None:
    big, small, lonely = fake.add_companies(3)
    many = fake.add_contacts(501, companies=[big])
    few = fake.add_contacts(2, companies=[small])
    client = connect(fake)
    links = client.associations("companies", "contacts", [big["id"], small["id"], lonely["id"]])
    assert sorted(links[big["id"]], key=int) == [c["id"] for c in many]
    assert links[small["id"]] == [c["id"] for c in few]
    assert links[lonely["id"]] == []  # HubSpot answers 207 with an error for it
    assert fake.count("POST /crm/v4/associations/companies/contacts/batch/read") == 2

    back = client.associations("contacts", "companies", [c["id"] for c in many[:150]])
    assert len(back) == 150 and all(v == [big["id"]] for v in back.values())
    assert fake.count("POST /crm/v4/associations/contacts/companies/batch/read") == 2


def test_account_token_properties_and_owners(fake: HubSpotFake, connect: Any) -> None:
    fake.add_owners(150)
    client = connect(fake)
    assert client.account_details()["portalId"] == fake.portal_id
    info = client.token_info()
    assert set(info["scopes"]) == set(fake.scopes)
    assert fake.requests[-1].body == {"tokenKey": fake.token}
    names = {p["name"] for p in client.properties("companies")}
    assert {"name", "domain", "arr", "renewal_date"} <= names
    owners = client.owners()
    assert len(owners) == 150 and len({o["id"] for o in owners}) == 150
    assert fake.count("GET /crm/v3/owners") == 2


# ---------------------------------------------------------------- writing


def test_create_update_archive_and_default_association(fake: HubSpotFake, connect: Any) -> None:
    company = fake.add_company("Acme")
    client = connect(fake)
    contact = client.create(
        "contacts",
        {"email": "ann@acme.example", "firstname": "Ann"},
        associations=[("companies", company["id"])],
    )
    assert fake.associations("contacts", contact["id"], "companies") == {company["id"]: [1, 279]}
    updated = client.update("contacts", contact["id"], {"lastname": "Lee"})
    assert updated["properties"]["lastname"] == "Lee"
    other = fake.add_company("Other")
    client.associate_default("contacts", contact["id"], "companies", other["id"])
    assert other["id"] in fake.associations("contacts", contact["id"], "companies")
    client.archive("contacts", contact["id"])
    assert _stored(fake, "contacts", contact["id"])["archived"] is True
    with pytest.raises(NotFound, match="no such record"):
        client.update("contacts", contact["id"], {"lastname": "Gone"})


def test_create_note_is_associated_with_companies_and_contacts(
    fake: HubSpotFake, connect: Any
) -> None:
    company = fake.add_company("Acme")
    ann, bob = fake.add_contacts(2, companies=[company])
    client = connect(fake)
    stamp = to_ms("2026-02-14T15:30:00.000Z")
    assert stamp is not None
    note = client.create_note(
        "<p>QBR went <strong>well</strong> — Zoë 🎉</p>",
        stamp,
        company_ids=[company["id"]],
        contact_ids=[ann["id"], bob["id"]],
    )
    stored = _stored(fake, "notes", note["id"])
    assert stored["properties"]["hs_note_body"] == "<p>QBR went <strong>well</strong> — Zoë 🎉</p>"
    assert to_ms(stored["properties"]["hs_timestamp"]) == stamp
    assert fake.associations("notes", note["id"], "companies") == {company["id"]: [190]}
    assert fake.associations("notes", note["id"], "contacts") == {
        ann["id"]: [202],
        bob["id"]: [202],
    }
    assert note["id"] in fake.associations("companies", company["id"], "notes")


def test_unicode_names_round_trip(fake: HubSpotFake, connect: Any) -> None:
    seeded = fake.add_companies(10, unicode=True)
    client = connect(fake)
    page = client.list_page("companies", ["name"])
    assert [r["properties"]["name"] for r in page.results] == [
        c["properties"]["name"] for c in seeded
    ]
    name = "Zürich Präzision 北京 🚀 Łódź"
    created = client.create("companies", {"name": name})
    assert _stored(fake, "companies", created["id"])["properties"]["name"] == name
    assert client.batch_read("companies", [created["id"]], ["name"])[0]["properties"]["name"] == (
        name
    )
    hits = client.find_by_property("companies", "name", [name], ["name"], operator="EQ")
    assert [h["id"] for h in hits] == [created["id"]]


# ---------------------------------------------------------------- rate limits


def test_a_429_storm_honours_retry_after(
    make_hubspot_fake: MakeFake, connect: Any, ticks: FakeTime
) -> None:
    fake = make_hubspot_fake(retry_after=2)
    client = connect(fake)
    fake.rate_limit_next(3)
    assert client.account_details()["portalId"] == fake.portal_id
    assert ticks.sleeps == [2.0, 2.0, 2.0]
    assert client.requests_made == 4 and client.retries == 3
    assert [r.status for r in fake.requests] == [429, 429, 429, 200]


def test_429_without_retry_after_backs_off_then_gives_up(
    fake: HubSpotFake, connect: Any, ticks: FakeTime
) -> None:
    client = connect(fake)
    fake.rate_limit_next(2)
    client.account_details()
    assert len(ticks.sleeps) == 2
    assert 0 <= ticks.sleeps[0] <= 0.5 and 0 <= ticks.sleeps[1] <= 1.0  # full jitter
    ticks.sleeps.clear()
    fake.rate_limit_next(10)
    with pytest.raises(RateLimited, match="tried 6 times"):
        client.account_details()
    assert len(ticks.sleeps) == 5
    assert all(s <= 0.5 * 2**i for i, s in enumerate(ticks.sleeps))
    assert client.requests_made == 3 + 6


def test_the_daily_limit_is_not_retried(fake: HubSpotFake, connect: Any, ticks: FakeTime) -> None:
    client = connect(fake)
    fake.rate_limit_next(1, policy="DAILY")
    with pytest.raises(RateLimited, match="daily"):
        client.account_details()
    assert client.requests_made == 1 and ticks.sleeps == []


def test_waits_before_the_burst_limit_instead_of_hitting_it(make_hubspot_fake: MakeFake) -> None:
    """Real time: the fake's burst window is real. With 3 requests per 300 ms, eight requests
    need waits but never get a 429."""
    fake = make_hubspot_fake(burst_limit=3, burst_interval_ms=300)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with HubSpotClient(fake.token, fake.base_url, sleep=sleep) as client:
        started = time.monotonic()
        for _ in range(8):
            client.account_details()
        elapsed = time.monotonic() - started
        assert client.retries == 0 and client.requests_made == 8
        assert client.api.rate_limit_max == 3
    assert [r.status for r in fake.requests] == [200] * 8
    assert slept and all(0 < s <= 0.31 for s in slept)
    assert elapsed >= 0.5  # two windows, nearly


def test_searches_are_limited_per_second_client_side(
    fake: HubSpotFake, connect: Any, ticks: FakeTime
) -> None:
    client = connect(fake, search_per_second=4)
    for _ in range(6):
        client.search_modified_page("companies", None, ["name"])
    assert ticks.sleeps == [pytest.approx(1.0)]  # the fifth waited for the first to age out
    client.list_page("companies", ["name"])  # not a search: no wait
    assert len(ticks.sleeps) == 1


# ---------------------------------------------------------------- faults


def test_5xx_is_retried_then_raised(fake: HubSpotFake, connect: Any, ticks: FakeTime) -> None:
    client = connect(fake)
    fake.fail_next(2, 503)
    assert client.account_details()["portalId"] == fake.portal_id
    assert client.requests_made == 3
    fake.fail_next(6, 500)
    with pytest.raises(ServerError, match=r"HTTP 500.*tried 6 times") as caught:
        client.account_details()
    assert caught.value.status == 500 and caught.value.correlation_id
    assert client.requests_made == 9 and client.retries == 7
    fake.fail_next(1, 502, body="<html><body>Bad Gateway</body></html>", content_type="text/html")
    assert client.properties("companies")


def test_a_locked_record_waits_two_seconds(
    fake: HubSpotFake, connect: Any, ticks: FakeTime
) -> None:
    client = connect(fake)
    fake.fail_next(1, 423, method="POST")
    client.create("companies", {"name": "Locked at first"})  # 423: nothing was applied
    assert ticks.sleeps == [2.0] and len(fake.objects("companies")) == 1


def test_a_long_retry_after_is_not_waited_for(fake: HubSpotFake, connect: Any) -> None:
    client = connect(fake)
    fake.fail_next(1, 477, headers={"Retry-After": "86400"})
    with pytest.raises(ServerError, match="data centre") as caught:
        client.account_details()
    assert caught.value.status == 477 and client.requests_made == 1


def test_a_dropped_connection_is_retried(fake: HubSpotFake, connect: Any) -> None:
    company = fake.add_company("Acme")
    client = connect(fake)
    fake.drop_next(2, method="GET")
    assert client.list_page("companies", ["name"]).results[0]["id"] == company["id"]
    assert client.requests_made == 3
    fake.drop_after_apply(1, method="PATCH")  # safe to repeat: retried
    client.update("companies", company["id"], {"name": "Acme Ltd"})
    assert _stored(fake, "companies", company["id"])["properties"]["name"] == "Acme Ltd"
    fake.drop_next(6)
    with pytest.raises(NetworkError, match="connection dropped; tried 6 times"):
        client.account_details()


def test_a_create_is_never_sent_twice(fake: HubSpotFake, connect: Any) -> None:
    """A create that may have been applied raises instead of being repeated."""
    client = connect(fake)
    fake.drop_after_apply(1, method="POST")
    with pytest.raises(NetworkError, match="may or may not have been saved") as dropped:
        client.create("companies", {"name": "Once"})
    assert dropped.value.maybe_applied
    fake.malformed_next(1, method="POST")
    with pytest.raises(MalformedResponse) as garbled:
        client.create_note("<p>Once</p>", 1_767_323_045_678)
    assert garbled.value.maybe_applied
    fake.fail_next(1, 500, method="POST")
    with pytest.raises(ServerError) as failed:
        client.batch_create("companies", [{"properties": {"name": "Never"}}])
    assert failed.value.maybe_applied
    assert len(fake.objects("companies")) == 1 and len(fake.objects("notes")) == 1
    assert fake.count(method="POST") == 3


def test_connection_refused_is_retried_for_any_request(connect: Any, ticks: FakeTime) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HubSpotClient("pat-na1-x", f"http://127.0.0.1:{port}", sleep=ticks.sleep,
                           clock=ticks.clock, rng=random.Random(1))  # fmt: skip
    with client, pytest.raises(NetworkError, match="no connection") as caught:
        client.create("companies", {"name": "x"})  # never sent, so safe to retry
    assert not caught.value.maybe_applied
    assert client.requests_made == 6 and len(ticks.sleeps) == 5


def test_malformed_json_is_retried_then_raised(fake: HubSpotFake, connect: Any) -> None:
    fake.add_companies(3)
    client = connect(fake)
    fake.malformed_next(2)
    assert len(client.list_page("companies", ["name"]).results) == 3
    assert client.requests_made == 3
    fake.malformed_next(6)
    with pytest.raises(MalformedResponse, match="could not read"):
        client.account_details()
    assert client.requests_made == 9


def test_a_reply_of_the_wrong_shape_is_malformed(fake: HubSpotFake, connect: Any) -> None:
    client = connect(fake)
    fake.fail_next(1, 200, body={"status": "COMPLETE"}, path="/crm/v3/objects/")
    with pytest.raises(MalformedResponse, match="unexpected reply"):
        client.list_page("companies", ["name"])


# ---------------------------------------------------------------- errors and the token


def test_401_is_not_retried_and_never_shows_the_token(
    fake: HubSpotFake, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "pat-na1-11111111-2222-3333-4444-555555555555"
    client = connect(fake, token=wrong)
    with pytest.raises(AuthError, match="refused the token: reconnect in Sync settings") as bad:
        client.account_details()
    assert client.requests_made == 1 and bad.value.status == 401
    assert fake.requests[0].authorization == f"Bearer {wrong}"

    good = connect(fake)
    fake.drop_next(1)
    fake.fail_next(1, 503)
    good.token_info()
    fake.expire_token()
    with pytest.raises(AuthError, match="expired") as expired:
        good.list_page("companies", ["name"])
    for secret, client_, error in ((wrong, client, bad.value), (fake.token, good, expired.value)):
        for text in (str(error), repr(error), repr(client_), repr(client_.api), caplog.text):
            assert secret not in text
            assert secret.split("-")[-1] not in text
    assert "retry 1 of 5" in caplog.text  # the retries were logged, without the token


def test_403_lists_the_missing_scopes(fake: HubSpotFake, connect: Any) -> None:
    fake.revoke_scopes("crm.objects.companies.read")
    client = connect(fake)
    with pytest.raises(AuthError) as caught:
        client.list_page("companies", ["name"])
    assert caught.value.missing_scopes == ("crm.objects.companies.read",)
    assert "crm.objects.companies.read" in str(caught.value)
    assert "Private apps" in str(caught.value)
    assert client.requests_made == 1


def test_409_carries_the_existing_id(fake: HubSpotFake, connect: Any) -> None:
    ann = fake.add_contact("ann@acme.example")
    client = connect(fake)
    with pytest.raises(Conflict) as caught:
        client.create("contacts", {"email": "Ann@Acme.example"})
    assert caught.value.existing_id == ann["id"]
    assert "Existing ID" in str(caught.value)
    assert isinstance(caught.value, CrmError) and client.requests_made == 1


def test_other_400s_carry_hubspots_message(fake: HubSpotFake, connect: Any) -> None:
    client = connect(fake)
    with pytest.raises(ValidationFailed, match="no_such_property") as caught:
        client.create("companies", {"name": "Acme", "no_such_property": "x"})
    assert caught.value.status == 400 and client.requests_made == 1
    with pytest.raises(ValueError, match="No default association"):
        client.create("companies", {"name": "x"}, associations=[("planets", "1")])


def test_plain_http_only_for_loopback() -> None:
    for ok in ("http://127.0.0.1:8080", "http://localhost:1/", "http://[::1]:9", "https://x.io"):
        assert check_base_url(ok) == ok.rstrip("/")
    for bad in (
        "http://api.hubapi.com",
        "http://10.0.0.1:8080",
        "http://127.0.0.1.evil.example",
        "ftp://api.hubapi.com",
        "api.hubapi.com",
        "https://user:secret@api.hubapi.com",
    ):
        with pytest.raises(ValueError) as caught:
            HubSpotClient("pat-na1-secret-token", bad)
        assert "pat-na1-secret-token" not in str(caught.value)
        assert "secret@" not in str(caught.value)
    with pytest.raises(ValueError, match="token"):
        ApiClient("https://api.hubapi.com", "  ")
    with HubSpotClient("pat-na1-x") as client:
        assert client.base_url == "https://api.hubapi.com"


def test_to_ms() -> None:
    assert to_ms("2026-01-02T03:04:05.678Z") == 1_767_323_045_678
    assert to_ms("2026-01-02T03:04:05Z") == 1_767_323_045_000
    assert to_ms("2026-01-02T04:04:05.678+01:00") == 1_767_323_045_678
    assert to_ms("2026-01-02T03:04:05.678") == 1_767_323_045_678  # naive is UTC
    assert to_ms("2026-01-02") == 1_767_312_000_000
    assert to_ms(date(2026, 1, 2)) == 1_767_312_000_000
    assert to_ms(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)) == 1_767_323_045_678
    assert to_ms("1767323045678") == to_ms(1_767_323_045_678) == 1_767_323_045_678
    assert to_ms(1_767_323_045_678.0) == 1_767_323_045_678
    for nothing in (None, "", "  ", "soon", True, float("nan")):
        assert to_ms(nothing) is None
