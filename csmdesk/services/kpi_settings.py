"""The Numbers page's settings: the reporting currency and the CSM's exchange rates, kept in
the database's ``meta`` table (key ``kpis.settings``) as JSON."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import text

from csmdesk.models import Meta
from csmdesk.store import Database

log = logging.getLogger(__name__)

SETTINGS_KEY = "kpis.settings"


@dataclass(frozen=True)
class KpiSettings:
    """``currency`` None: the book's most common currency. ``rates``: units of the reporting
    currency per unit of another currency, as the CSM entered them."""

    currency: str | None = None
    rates: dict[str, Decimal] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"currency": self.currency, "rates": {c: str(r) for c, r in sorted(self.rates.items())}}
        )

    @classmethod
    def from_json(cls, raw: str) -> KpiSettings:
        data = json.loads(raw)
        currency = data.get("currency") or None
        rates = {str(c).upper(): parse_rate(str(r)) for c, r in (data.get("rates") or {}).items()}
        return cls(currency.upper() if currency else None, rates)


class RateError(ValueError):
    """A rate that is not a positive number, with a message fit for the user."""


def parse_rate(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise RateError(f"'{raw}' is not a number") from None
    if not value.is_finite() or value <= 0:
        raise RateError(f"a rate must be more than 0, not {raw}")
    return value


def load_settings(db: Database) -> KpiSettings:
    with db.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT value FROM meta WHERE key = :key"), {"key": SETTINGS_KEY}
        ).scalar_one_or_none()
    if not raw:
        return KpiSettings()
    try:
        return KpiSettings.from_json(raw)
    except (ValueError, TypeError, AttributeError):
        log.warning("stored KPI settings are unreadable; using the defaults")
        return KpiSettings()


def save_settings(db: Database, settings: KpiSettings) -> None:
    with db.session() as s:
        s.merge(Meta(key=SETTINGS_KEY, value=settings.to_json()))
