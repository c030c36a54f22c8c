"""Time instant search (``csmdesk.services.search.search``) over a big book of notes.

    python benchmarks/bench_search.py --notes 200000                      # builds /tmp/bench/...
    python benchmarks/bench_search.py --db /tmp/bench/search200k.sqlite3  # reuse a built book

The book is built through the real schema (``open_database`` runs the migrations), accounts,
contacts and notes bulk-inserted with ``executemany`` in one transaction so the FTS5 triggers
index every note, as they do for notes typed in the app. Notes are a few hundred to a couple of
thousand characters made from CSM sentences, names, products, ticket numbers and competitors;
a rare word is planted in a handful of them. Each query runs ``--runs`` times (after one warm-up)
the way the search dialog asks (30 results per kind); the budget is 50 ms median.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from csmdesk.paths import resources_dir
from csmdesk.services.search import search
from csmdesk.store import Database, open_database

BUDGET_MS = 50.0
RARE_WORD = "kaleidoscope"
KINDS = [
    "general",
    "call",
    "discovery",
    "check_in",
    "onboarding",
    "qbr",
    "ebr",
    "renewal",
    "internal",
]
SENTENCES = [
    "Met with {person} to review the {topic} and agreed on next steps.",
    "{person} raised concerns about {topic}; follow up with support by Friday.",
    "The customer wants a demo of {topic} for the {team} team.",
    "Usage is up {pct}% since last month, mostly driven by {team}.",
    "Ticket {ticket} is still open and blocking the {topic} work.",
    "They are evaluating {competitor} as an alternative, pricing is the main driver.",
    "Renewal conversation scheduled for {month}; budget looks tight this year.",
    "Action: send the {topic} deck to {person} before the next call.",
    "Executive sponsor {person} confirmed the expansion to {seats} seats.",
    "Onboarding for the {team} team is behind plan by two weeks.",
    "NPS survey came back at {nps}; comments mention {topic}.",
    "Discussed the roadmap: {topic}, better reporting and the mobile app.",
    "Champion {person} is moving to a new role, need a new champion in {team}.",
    "- [ ] share the {topic} guide with {person} @Alex due:2026-0{digit}-1{digit}",
    "Quarterly business review prep: wins, adoption, {topic}, renewal risks.",
    "The integration with Salesforce failed twice last week (error code {ticket}).",
    "Training session for new hires went well, {pct} people attended.",
    "Legal is reviewing the DPA; security questionnaire due in {month}.",
    "They asked whether {competitor} offers SSO and audit logs out of the box.",
    "Overall sentiment positive, the team likes the new dashboards.",
]
TEAMS = ["finance", "EMEA", "operations", "marketing", "engineering", "support", "sales", "HR"]
MONTHS = ["January", "March", "April", "June", "September", "October", "November", "December"]
QUERIES = [
    ("single word", "dashboards"),
    ("two words", "renewal budget"),
    ("prefix (typing)", "integra"),
    ("two letters (exact word)", "re"),
    ("four-letter prefix", "rene"),
    ("four-letter prefix, common", "they"),
    ("phrase in quotes", '"security questionnaire"'),
    ("rare word", RARE_WORD),
    ("very common word", "the"),
    ("common + name", "Priya renewal"),
    ("hostile", 'NEAR( "AND -foo * OR'),
    ("1,000 characters", ("renewal risk budget SSO " * 50)[:1000]),
]


def _vocabulary() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(
        (resources_dir() / "demo" / "vocabulary.json").read_text(encoding="utf-8")
    )
    return data


def build(db: Database, notes: int, accounts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    vocab = _vocabulary()
    companies = vocab["companies"]
    now = datetime(2026, 11, 25, 12, tzinfo=UTC).replace(tzinfo=None)
    stamp = now.isoformat(sep=" ")
    account_rows = []
    for i in range(1, accounts + 1):
        name = f"{rng.choice(companies)} {i}"
        account_rows.append(
            (
                i,
                uuid.uuid4().hex,
                name,
                f"acct{i}.example.com",
                "mid_market",
                1200000,
                "USD",
                "active",
                "",
                0,
                stamp,
                stamp,
            )
        )
    people = [f"{f} {last}" for f in vocab["first_names"] for last in vocab["last_names"]]
    contact_rows = []
    for i in range(1, accounts * 4 + 1):
        person = rng.choice(people)
        email = person.lower().replace(" ", ".").replace("'", "") + f"{i}@example.com"
        contact_rows.append(
            (i, uuid.uuid4().hex, (i - 1) // 4 + 1, person, email, "Analyst", "", 0, stamp, stamp)
        )
    rare = set(rng.sample(range(notes), 12))

    def body(n: int) -> str:
        fill = {
            "topic": rng.choice(vocab["note_topics"]),
            "competitor": rng.choice(vocab["competitors"]),
            "team": rng.choice(TEAMS),
            "month": rng.choice(MONTHS),
            "pct": rng.randint(3, 60),
            "seats": rng.randint(20, 900),
            "nps": rng.randint(0, 10),
            "digit": rng.randint(1, 9),
        }
        lines = []
        for _ in range(rng.randint(3, 18)):
            fill["person"] = rng.choice(people)
            fill["ticket"] = f"INC-{rng.randint(10000, 99999)}"
            lines.append(rng.choice(SENTENCES).format(**fill))
        if n in rare:
            lines.insert(rng.randrange(len(lines)), f"They called the rollout plan a {RARE_WORD}.")
        return "\n".join(lines)

    def note_rows():  # type: ignore[no-untyped-def]
        for n in range(notes):
            text = body(n)
            created = now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            c = created.isoformat(sep=" ", timespec="microseconds")
            kind = rng.choice(KINDS)
            yield (
                uuid.uuid4().hex,
                rng.randint(1, accounts),
                kind,
                text.split("\n")[0][:80],
                text,
                c,
                c,
            )

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        cur.executemany(
            "INSERT INTO account (id, uid, name, domain, segment, arr_minor, currency, lifecycle, "
            "tags, payment_issue, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            account_rows,
        )
        cur.executemany(
            "INSERT INTO contact (id, uid, account_id, name, email, title, roles, is_primary, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            contact_rows,
        )
        cur.executemany(
            "INSERT INTO note (uid, account_id, kind, title, body, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?)",
            note_rows(),
        )
        cur.execute("COMMIT")
    finally:
        raw.close()


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--notes", type=int, default=200_000, help="notes to build (default 200,000)"
    )
    parser.add_argument(
        "--accounts", type=int, default=5000, help="accounts to build (default 5,000)"
    )
    parser.add_argument(
        "--db", type=Path, help="reuse this database if it exists, else build it here"
    )
    parser.add_argument("--runs", type=int, default=15, help="timed runs per query (default 15)")
    parser.add_argument("--limit", type=int, default=30, help="results per kind (default 30)")
    args = parser.parse_args(argv)

    path: Path = args.db or Path(f"/tmp/bench/search{args.notes // 1000}k.sqlite3")
    fresh = not (path.exists() and path.stat().st_size > 0)
    db = open_database(path)
    try:
        if fresh:
            start = time.perf_counter()
            build(db, args.notes, args.accounts)
            print(
                f"built {path}: {args.notes:,} notes, {args.accounts:,} accounts, "
                f"{args.accounts * 4:,} contacts in {time.perf_counter() - start:.1f} s"
            )
        with db.engine.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM note").scalar()
            some_account = conn.exec_driver_sql("SELECT account_id FROM note LIMIT 1").scalar()
        print(f"{path}: {count:,} notes; {args.runs} runs per query, {args.limit} results per kind")
        cases: list[tuple[str, str, dict[str, object]]] = [(n, q, {}) for n, q in QUERIES]
        cases += [
            ("common word, one account", "renewal", {"account_id": some_account}),
            (
                "common word, kind + 90 days",
                "renewal",
                {"kind": "qbr", "since": date(2026, 8, 27), "until": date(2026, 11, 25)},
            ),
        ]
        every: list[float] = []
        print(f"{'query':<30} {'results':>7} {'median':>8} {'p95':>8} {'max':>8}")
        for name, query, filters in cases:
            search(db, query, limit=args.limit, **filters)  # type: ignore[arg-type]
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                hits = search(db, query, limit=args.limit, **filters)  # type: ignore[arg-type]
                times.append(_ms(time.perf_counter() - start))
            every += times
            p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
            print(
                f"{name:<30} {len(hits):>7} {statistics.median(times):>6.1f}ms "
                f"{p95:>6.1f}ms {max(times):>6.1f}ms"
            )
        median = statistics.median(every)
        p95 = statistics.quantiles(every, n=20)[18]
        verdict = "within" if median < BUDGET_MS else "OVER"
        print(
            f"{'overall':<30} {'':>7} {median:>6.1f}ms {p95:>6.1f}ms {max(every):>6.1f}ms  "
            f"({verdict} the {BUDGET_MS:.0f} ms median budget)"
        )
    finally:
        db.close()
    return 0 if median < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
