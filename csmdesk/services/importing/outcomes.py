"""What planning an import produces: an outcome per row, and the plan as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from csmdesk.domain.dates import DateOrder
from csmdesk.services.importing.mapping import Detection, Kind
from csmdesk.services.importing.reader import Table


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"


@dataclass
class RowOutcome:
    line: int
    action: Action
    label: str
    reasons: list[str] = field(default_factory=list)  # errors, or why it is skipped
    changes: list[str] = field(default_factory=list)  # what an update changes, for the preview
    warnings: list[str] = field(default_factory=list)
    target_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportPlan:
    table: Table
    detection: Detection
    kind: Kind
    mapping: dict[str, str]
    date_orders: dict[str, DateOrder | None]
    currency: str
    outcomes: list[RowOutcome]
    warnings: list[str]

    def count(self, action: Action) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def errors(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.action == Action.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.count(Action.CREATE):,} to create, {self.count(Action.UPDATE):,} to update, "
            f"{self.count(Action.SKIP):,} skipped, {self.count(Action.ERROR):,} with errors"
        )
