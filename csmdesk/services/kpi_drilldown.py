"""What lies behind a number of the Numbers page: the accounts (and, for ARR figures, the ARR
events of the period) a tile or a bar stands for, as plain rows, and their CSV export.

    found = drill(dashboard, "bridge:churned")     # the accounts that churned in the period
    write_csv(found.accounts, path)

Targets are a tile's key (``grr``, ``nps``, ``arr_at_risk``…) or a bar of a chart:
``bridge:<start|new|expansion|contraction|churned|end>``, ``risk:<month index>[:<band>]``,
``health:<band>``. Pure: everything comes from the dashboard already computed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from csmdesk.domain import kpis as k
from csmdesk.domain.money import minor_factor
from csmdesk.services.kpi_summary import (
    BRIDGE_LABELS,
    TITLES,
    band_name,
    full_money,
    percent_text,
    plural,
    span_text,
)
from csmdesk.services.kpis import NOT_HEALTHY, BookKpis, Dashboard

TEXT, MONEY, DATE, PERCENT, NUMBER = "text", "money", "date", "percent", "number"
CATEGORY_NAMES = {
    k.CHURNED: "Churned",
    k.CONTRACTED: "Contraction",
    k.EXPANDED: "Expansion",
    k.NEW: "New",
    k.FLAT: "Flat",
}
EVENT_KINDS = {
    "new": "New",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
    "renewal": "Renewal",
    "reactivation": "Reactivation",
}
_BRIDGE_CATEGORIES = {
    "new": (k.NEW,),
    "expansion": (k.EXPANDED,),
    "contraction": (k.CONTRACTED,),
    "churned": (k.CHURNED,),
}


class UnknownTarget(ValueError):
    """Not a number the page can drill into."""


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    @property
    def plain(self) -> str:
        """The amount as a plain number in major units (``1234.5``), for a spreadsheet."""
        factor = minor_factor(self.currency)
        value = Decimal(self.minor) / factor
        return str(value.quantize(Decimal(1) / factor)) if factor > 1 else str(value)

    def __str__(self) -> str:
        return full_money(self.minor, self.currency)


Cell = str | int | float | date | Money | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT


@dataclass(frozen=True)
class Row:
    account_id: int | None
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def column(self, key: str) -> list[Cell]:
        index = [c.key for c in self.columns].index(key)
        return [r.cells[index] for r in self.rows]


@dataclass(frozen=True)
class Drill:
    target: str
    title: str  # "Churn: 3 accounts, −$19.5K"
    subtitle: str  # the period, and what the list is
    accounts: Table
    events: Table | None = None  # the ARR events of the period, for ARR figures


def cell_text(value: Cell, kind: str) -> str:
    """How a cell reads on screen."""
    if value is None:
        return "\u2014"
    if kind == PERCENT and isinstance(value, float):
        return percent_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def cell_plain(value: Cell, kind: str) -> str:
    """How a cell goes into a CSV: plain numbers, ISO dates, percentages without the sign."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.plain
    if kind == PERCENT and isinstance(value, float):
        return f"{value * 100:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(table: Table, path: Path | str) -> Path:
    """UTF-8 with a byte-order mark (so Excel reads the names right); a money column is followed
    by its currency."""
    target = Path(path)
    header: list[str] = []
    for col in table.columns:
        header.append(col.header)
        if col.kind == MONEY:
            header.append(f"{col.header} currency")
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in table.rows:
            out: list[str] = []
            for col, value in zip(table.columns, row.cells, strict=True):
                out.append(cell_plain(value, col.kind))
                if col.kind == MONEY:
                    out.append(value.currency if isinstance(value, Money) else "")
            writer.writerow(out)
    return target


# --- the tables --------------------------------------------------------------------------------


def _movement_table(dash: Dashboard, kpis: BookKpis, categories: Iterable[str] | None) -> Table:
    facts, cur = dash.snapshot.accounts, kpis.currency
    wanted = set(categories) if categories is not None else None
    rows = []
    for m in kpis.retention.movements:
        if wanted is not None and m.category not in wanted:
            continue
        band = facts[m.account_id].band if m.account_id in facts else None
        rows.append(
            Row(
                m.account_id,
                (
                    dash.snapshot.name(m.account_id),
                    Money(m.start_minor, cur),
                    Money(m.end_minor, cur),
                    Money(m.change_minor, cur),
                    CATEGORY_NAMES.get(m.category, m.category),
                    band_name(band) if band else None,
                ),
            )
        )
    rows.sort(key=lambda r: (_minor(r.cells[3]), str(r.cells[0])))
    columns = (
        Column("account", "Account"),
        Column("start", "Start ARR", MONEY),
        Column("end", "End ARR", MONEY),
        Column("change", "Change", MONEY),
        Column("category", "Category"),
        Column("band", "Health now"),
    )
    return Table(columns, tuple(rows))


def _minor(cell: Cell) -> int:
    return cell.minor if isinstance(cell, Money) else 0


def event_table(dash: Dashboard, period: k.Period, account_ids: Iterable[int]) -> Table:
    from csmdesk.services.kpis import event_rows

    snapshot = dash.snapshot
    points = []
    for account_id in account_ids:
        for p in event_rows(snapshot, period, [account_id]):
            points.append((account_id, p))
    points.sort(key=lambda ap: (ap[1].on, ap[1].seq))
    rows = tuple(
        Row(
            account_id,
            (
                p.on,
                snapshot.name(account_id),
                EVENT_KINDS.get(p.kind, p.kind.capitalize() if p.kind else "\u2014"),
                Money(p.arr_minor, p.currency),
            ),
        )
        for account_id, p in points
    )
    columns = (
        Column("date", "Date", DATE),
        Column("account", "Account"),
        Column("kind", "Type"),
        Column("arr_after", "ARR after", MONEY),
    )
    return Table(columns, rows)


def _account_table(
    dash: Dashboard, kpis: BookKpis, ids: Sequence[int], extra: dict[int, Cell] | None = None
) -> Table:
    """Accounts with their band, ARR and renewal (today's facts), for ARR at risk and health."""
    facts, cur, rates = dash.snapshot.accounts, kpis.currency, dash.snapshot.rates
    rows = []
    for account_id in ids:
        f = facts.get(account_id)
        if f is None:
            continue
        arr = rates.convert(f.arr_minor, f.currency)
        cells: tuple[Cell, ...] = (
            f.name,
            band_name(f.band),
            Money(arr, cur) if arr is not None else None,
            f.renewal_date,
        )
        if extra is not None:
            cells += (extra.get(account_id),)
        rows.append(Row(account_id, cells))
    rows.sort(key=lambda r: (-_minor(r.cells[2]), str(r.cells[0])))
    columns: tuple[Column, ...] = (
        Column("account", "Account"),
        Column("band", "Health"),
        Column("arr", "ARR", MONEY),
        Column("renewal", "Renewal", DATE),
    )
    if extra is not None:
        columns += (Column("within", "Renews within"),)
    return Table(columns, tuple(rows))


def _nps_table(dash: Dashboard, kpis: BookKpis) -> Table:
    def group(score: int) -> str:
        return "Promoter" if score >= 9 else "Detractor" if score <= 6 else "Passive"

    responses = sorted(kpis.nps.responses, key=lambda r: (r.on, r.account_id))
    rows = tuple(
        Row(r.account_id, (dash.snapshot.name(r.account_id), r.on, r.score, group(r.score)))
        for r in responses
    )
    columns = (
        Column("account", "Account"),
        Column("date", "Date", DATE),
        Column("score", "Score", NUMBER),
        Column("group", "Group"),
    )
    return Table(columns, rows)


def _adoption_table(dash: Dashboard, kpis: BookKpis) -> Table:
    rows = tuple(
        Row(
            a.account_id,
            (
                dash.snapshot.name(a.account_id),
                a.on,
                a.active_users,
                a.seats,
                a.share,
                "Yes" if a.share >= k.ADOPTING_SHARE else "No",
            ),
        )
        for a in sorted(kpis.adoption.accounts, key=lambda a: a.share)
    )
    columns = (
        Column("account", "Account"),
        Column("date", "Reading", DATE),
        Column("active", "Active users", NUMBER),
        Column("seats", "Seats", NUMBER),
        Column("share", "Adoption", PERCENT),
        Column("adopting", "At 70%+"),
    )
    return Table(columns, rows)


def _onboarding_table(dash: Dashboard, kpis: BookKpis) -> Table:
    o = kpis.onboarding
    status = {
        **dict.fromkeys(o.late, "Late"),
        **dict.fromkeys(o.pending, "Pending"),
        **dict.fromkeys(o.on_time, "On time"),
    }
    starts = {
        run.account_id: run
        for run in dash.snapshot.onboardings
        if run.account_id in status and kpis.period.contains(run.start)
    }
    rows = []
    for account_id, state in status.items():
        run = starts.get(account_id)
        rows.append(
            Row(
                account_id,
                (
                    dash.snapshot.name(account_id),
                    run.start if run else None,
                    state,
                    f"{run.to_do - run.undone} of {run.to_do}" if run else None,
                    run.last_done if run else None,
                ),
            )
        )
    rows.sort(key=lambda r: (str(r.cells[2]), str(r.cells[0])))
    columns = (
        Column("account", "Account"),
        Column("start", "Started", DATE),
        Column("status", "Status"),
        Column("steps", "Milestones done"),
        Column("last_done", "Last completed", DATE),
    )
    return Table(columns, tuple(rows))


def _reviews_table(dash: Dashboard, kpis: BookKpis) -> Table:
    rows = []
    by_account = kpis.reviews.by_account if kpis.reviews is not None else {}
    for account_id, schedule in by_account.items():
        missed = schedule.missed
        rows.append(
            Row(
                account_id,
                (
                    dash.snapshot.name(account_id),
                    len(schedule.due),
                    len(schedule.held),
                    ", ".join(d.isoformat() for d in missed) or None,
                    schedule.share,
                ),
            )
        )
    rows.sort(key=lambda r: (r.cells[4] if isinstance(r.cells[4], float) else 2.0, str(r.cells[0])))
    columns = (
        Column("account", "Account"),
        Column("due", "Due", NUMBER),
        Column("held", "Held on time", NUMBER),
        Column("missed", "Missed (due dates)"),
        Column("share", "On schedule", PERCENT),
    )
    return Table(columns, tuple(rows))


# --- drilling ------------------------------------------------------------------------------------


def _total(table: Table, key: str) -> int:
    return sum(_minor(c) for c in table.column(key))


def drill(dash: Dashboard, target: str) -> Drill:
    """The rows behind ``target`` (see the module's docstring); :class:`UnknownTarget` else."""
    kpis = dash.current
    period, cur = kpis.period, kpis.currency
    span = span_text(period.start, period.end)
    kind, _, rest = target.partition(":")
    if kind == "bridge" and rest in BRIDGE_LABELS:
        categories = _BRIDGE_CATEGORIES.get(rest)
        table = _movement_table(dash, kpis, categories)
        if rest == "start":
            table = Table(table.columns, tuple(r for r in table.rows if _minor(r.cells[1]) > 0))
            amount, what = _total(table, "start"), "ARR on the day before the period"
        elif rest == "end":
            table = Table(table.columns, tuple(r for r in table.rows if _minor(r.cells[2]) > 0))
            amount, what = _total(table, "end"), "ARR at the period's end"
        else:
            amount = _total(table, "change")
            what = {
                "new": "new accounts: no ARR before the period, ARR at its end",
                "expansion": "cohort accounts whose ARR grew",
                "contraction": "cohort accounts whose ARR shrank but stayed above 0",
                "churned": "cohort accounts whose ARR fell to 0",
            }[rest]
        ids = [r.account_id for r in table.rows if r.account_id is not None]
        return Drill(
            target,
            f"{BRIDGE_LABELS[rest]}: {plural(len(table.rows), 'account')}, "
            f"{full_money(amount, cur)}",
            f"{span} \u00b7 {what}",
            table,
            event_table(dash, period, ids),
        )
    if kind == "risk":
        index_text, _, band = rest.partition(":")
        months = kpis.at_risk.months
        if not index_text.isdigit() or int(index_text) >= len(months):
            raise UnknownTarget(target)
        month = months[int(index_text)]
        bands = [band] if band else list(NOT_HEALTHY)
        if any(b not in NOT_HEALTHY for b in bands):
            raise UnknownTarget(target)
        ids = [i for b in bands for i in month.account_ids.get(b, ())]
        table = _account_table(dash, kpis, ids)
        which = band_name(band) if band else "Not healthy"
        return Drill(
            target,
            f"{which} ARR renewing in {month.month:%B %Y}: {plural(len(ids), 'account')}, "
            f"{full_money(sum(month.by_band.get(b, 0) for b in bands), cur)}",
            "Accounts not Healthy by their renewal date (as of today)",
            table,
        )
    if kind == "health":
        if rest not in kpis.health_accounts:
            raise UnknownTarget(target)
        ids = list(kpis.health_accounts[rest])
        return Drill(
            target,
            f"{band_name(rest)}: {plural(len(ids), 'account')}, "
            f"{full_money(kpis.health_arr.get(rest, 0), cur)} ARR",
            "Today's health band and ARR of each account (churned accounts left out)",
            _account_table(dash, kpis, ids),
        )
    return _tile_drill(dash, kpis, target, span)


def _tile_drill(dash: Dashboard, kpis: BookKpis, target: str, span: str) -> Drill:
    period = kpis.period
    title = TITLES.get(target)
    if title is None:
        raise UnknownTarget(target)
    if target in ("grr", "nrr", "logo_retention"):
        table = _movement_table(dash, kpis, (k.CHURNED, k.CONTRACTED, k.EXPANDED, k.FLAT))
        ids = [r.account_id for r in table.rows if r.account_id is not None]
        return Drill(
            target,
            f"{title}: the cohort, {plural(len(table.rows), 'account')}",
            f"{span} \u00b7 accounts with ARR on the day before the period, and where each ended",
            table,
            event_table(dash, period, ids),
        )
    if target == "expansion_rate":
        return drill(dash, "bridge:expansion")
    if target == "nps":
        table = _nps_table(dash, kpis)
        return Drill(target, f"NPS: {plural(len(table.rows), 'response')}", span, table)
    if target == "adoption":
        table = _adoption_table(dash, kpis)
        return Drill(
            target,
            f"Adoption: {plural(len(table.rows), 'account')}",
            f"Latest active-users reading of the last 30 days to {period.end.isoformat()}",
            table,
        )
    if target == "on_time_onboarding":
        table = _onboarding_table(dash, kpis)
        return Drill(
            target,
            f"On-time onboarding: {plural(len(table.rows), 'onboarding')}",
            f"{span} \u00b7 onboardings started in the period",
            table,
        )
    if target == "qbrs_on_schedule":
        table = _reviews_table(dash, kpis)
        return Drill(
            target,
            f"QBRs on schedule: {plural(len(table.rows), 'account')} with reviews due",
            span,
            table,
        )
    risk = kpis.at_risk
    within = {i: "180 days" for i in risk.horizon_accounts[180]}
    within.update({i: "90 days" for i in risk.horizon_accounts[90]})
    ids = list(risk.horizon_accounts[180])
    return Drill(
        target,
        f"ARR at risk: {plural(len(ids), 'account')} renewing within 180 days, "
        f"{full_money(risk.total(180), kpis.currency)}",
        "Accounts not Healthy by their renewal date (as of today)",
        _account_table(dash, kpis, ids, dict(within)),
    )
