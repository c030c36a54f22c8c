"""Importing accounts and contacts from CSV and XLSX files (no Qt).

    plan = prepare(db, "companies.csv")          # read, recognise, map, check every row
    if plan.ok:
        report = commit_plan(db, plan)            # one transaction: all rows or none

The wizard and ``csmdesk import`` both go through these two steps, so a dry run
shows exactly what a real run would write.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from csmdesk.domain.dates import DateOrder
from csmdesk.services.importing.commit import (
    ImportCancelled,
    ImportReport,
    PlanHasErrors,
    commit_plan,
    remembered_mapping,
)
from csmdesk.services.importing.mapping import (
    SOURCE_LABELS,
    Detection,
    Kind,
    Source,
    check_mapping,
    detect,
    propose,
    targets_for,
)
from csmdesk.services.importing.plan import Action, ImportPlan, RowOutcome, plan_rows
from csmdesk.services.importing.reader import FileProblem, Table, read_table
from csmdesk.store import Database

__all__ = [
    "SOURCE_LABELS",
    "Action",
    "Detection",
    "ImportCancelled",
    "ImportPlan",
    "ImportReport",
    "Kind",
    "MappingProblem",
    "PlanHasErrors",
    "RowOutcome",
    "Source",
    "Table",
    "commit_plan",
    "detect",
    "initial_mapping",
    "prepare",
    "propose",
    "read_table",
    "targets_for",
]


class MappingProblem(FileProblem):
    """The columns cannot be imported as mapped (e.g. no column holds the account name)."""


def initial_mapping(db: Database, table: Table, detection: Detection) -> dict[str, str]:
    """The mapping confirmed last time for these exact headers, else a fresh proposal."""
    remembered = remembered_mapping(db, table.headers)
    return remembered if remembered is not None else propose(table.headers, detection)


def prepare(
    db: Database,
    path: Path | str,
    *,
    kind: Kind | None = None,
    mapping: dict[str, str] | None = None,
    date_order: DateOrder | None = None,
    currency: str = "USD",
    today: date | None = None,
    table: Table | None = None,
) -> ImportPlan:
    """Read ``path`` and plan every row against the book; raises :class:`FileProblem`."""
    table = table if table is not None else read_table(path)
    found = detect(table.headers)
    if kind is not None and kind != found.kind:
        found = Detection(found.source, kind, found.date_hint)
    chosen = mapping if mapping is not None else initial_mapping(db, table, found)
    unknown = [h for h in chosen if h not in table.headers]
    if unknown:
        raise MappingProblem(f"The file has no column named {', '.join(map(repr, unknown))}.")
    problems = check_mapping(chosen, found.kind)
    if problems:
        raise MappingProblem(" ".join(problems))
    return plan_rows(
        db, table, found, found.kind, chosen, date_order=date_order, currency=currency, today=today
    )
