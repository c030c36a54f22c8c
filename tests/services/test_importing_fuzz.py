"""The importer never crashes: whatever the bytes, a plan or a clear FileProblem, and no writes."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmdesk.services import importing
from csmdesk.services.stats import book_stats

HEADERS = [
    "Account",
    "Domain",
    "ARR",
    "Renewal",
    "Contract start",
    "Segment",
    "Seats",
    "Tags",
    "Champion",
    "Champion email",
    "Last QBR",
    "Notes",
    "Currency",
    "Lifecycle",
]
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "=SUM(A1)",
            "+1",
            "-5",
            "@cmd",
            "$120,000",
            "€8.500,00",
            "12k",
            "2026-02-30",
            "04/05/2026",
            "31.12.2026",
            "Enterprise",
            "mid market",
            "x",
            "",
            " ",
            "0",
            "N/A",
            "🚀",
            "ترحيب",
            "\x00",
            "\r",
            '"',
            "USD 1,200,000.00",
            "EURO",
            "1e9",
        ]
    ),
)


def _check(db, path: Path) -> None:  # type: ignore[no-untyped-def]
    before = book_stats(db)
    try:
        plan = importing.prepare(db, path)
    except importing.FileProblem as exc:
        assert str(exc)  # a sentence for the user
        return
    for outcome in plan.outcomes:
        assert outcome.action in importing.Action
        if outcome.action == importing.Action.ERROR:
            assert outcome.reasons and all(outcome.reasons)
    if not plan.ok:
        with contextlib.suppress(importing.PlanHasErrors):
            importing.commit_plan(db, plan)
        assert book_stats(db) == before


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000))
def test_random_bytes(db, tmp_path: Path, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    _check(db, path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.lists(st.sampled_from([*HEADERS, "", "Foo", "Account"]), min_size=1, max_size=8),
    rows=st.lists(st.lists(CELL, max_size=10), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_ragged_messy_tables(
    db, tmp_path: Path, headers: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path / "messy.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    _check(db, path)


def test_hundred_thousand_rows_plan_without_trouble(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "big.csv"
    lines = ["Account,Domain,ARR"] + [f'Acct {i},a{i}.example.com,"${i:,}"' for i in range(100_000)]
    lines[50_001] = "Broken,broken.example.com,12k"
    path.write_text("\n".join(lines) + "\n")
    plan = importing.prepare(db, path)
    assert len(plan.outcomes) == 100_000
    (error,) = plan.errors
    assert error.line == 50_002 and "12k" in error.reasons[0]
