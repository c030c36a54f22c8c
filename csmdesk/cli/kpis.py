"""``csmdesk kpis``: retention, NRR, NPS, adoption and the rest for a period of the book."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from csmdesk.cli import EXIT_OK, CommandError, new_command
from csmdesk.store import Database


def register(sub: Any) -> None:
    parser = new_command(
        sub,
        "kpis",
        "print the book's numbers: GRR, NRR, logo retention, expansion, NPS, adoption…",
        "Print the book's numbers for a period (default: the 12 months ending today): gross "
        "and net revenue retention, logo retention, expansion, NPS, adoption, on-time "
        "onboarding, QBRs on schedule and ARR at risk. The definitions are in the README.",
    )
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_kpis)


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{flag} takes a date like 2026-03-31, not '{text}'") from None


def _period(args: argparse.Namespace, today: date) -> Any:
    from csmdesk.domain.kpis import Period, trailing_months

    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    if start is None and end is None:
        return trailing_months(today)
    if start is None:
        assert end is not None
        return trailing_months(end)
    if end is None:
        end = today
    if start > end:
        raise CommandError(f"--from ({start}) is after --to ({end})")
    return Period(start, end)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def cmd_kpis(db: Database, args: argparse.Namespace) -> int:
    from csmdesk.domain.kpis import BENCHMARKS
    from csmdesk.domain.money import format_money
    from csmdesk.services import kpis

    today = date.today()
    period = _period(args, today)
    result = kpis.book_kpis(db, period, today=today)
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    r, cur = result.retention, result.currency

    def money(minor: int) -> str:
        return format_money(minor, cur)

    def bench(key: str) -> str:
        low, high = BENCHMARKS[key]
        if key == "nps":
            return f"{low:.0f}+"
        return f"{low * 100:.0f}–{high * 100:.0f}%" if high else f"{low * 100:.0f}%+"

    nps = result.nps
    rows: list[tuple[str, str, str]] = [
        ("Period", f"{period.start} to {period.end}", ""),
        ("Currency", cur, ""),
        ("Starting ARR", money(r.starting), f"{r.cohort} accounts in the cohort"),
        ("+ New", money(r.new), ""),
        ("+ Expansion", money(r.expansion), ""),
        ("− Contraction", money(r.contraction), ""),
        ("− Churn", money(r.churned), ""),
        ("Ending ARR", money(r.ending), ""),
        ("GRR", _pct(r.grr), bench("grr")),
        ("NRR", _pct(r.nrr), bench("nrr")),
        ("Logo retention", _pct(r.logo_retention), bench("logo_retention")),
        ("Expansion rate", _pct(r.expansion_rate), bench("expansion_rate")),
        (
            "NPS",
            "—" if nps.score is None else f"{nps.score:.1f}",
            f"{bench('nps')}; {len(nps.responses)} responses",
        ),
        ("Adoption", _pct(result.adoption.value), bench("adoption")),
        (
            "Accounts ≥ 70% adopted",
            _pct(result.adoption.share_adopting),
            f"of {len(result.adoption.accounts)} with seats and a recent reading",
        ),
        ("On-time onboarding", _pct(result.onboarding.value), bench("on_time_onboarding")),
        ("QBRs on schedule", _pct(result.qbrs_on_schedule), ""),
        ("ARR at risk, 90 days", money(result.at_risk.total(90)), "renewals not Healthy"),
        ("ARR at risk, 180 days", money(result.at_risk.total(180)), ""),
    ]
    width = max(len(label) for label, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    for label, value, note in rows:
        line = f"{label:<{width}}  {value:>{value_width}}"
        print(f"{line}  {note}".rstrip() if note else line)
    for warning in result.warnings:
        print(f"Warning: {warning}")
    return EXIT_OK
