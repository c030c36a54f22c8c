"""What a valid health reading is: one day's product usage, support load and sentiment."""

from __future__ import annotations

from datetime import date

METRICS = (
    "active_users",
    "logins",
    "feature_adoption_pct",
    "open_tickets",
    "escalations",
    "nps",
    "csat",
)
METRIC_LABELS = {
    "active_users": "Active users",
    "logins": "Logins",
    "feature_adoption_pct": "Feature adoption %",
    "open_tickets": "Open tickets",
    "escalations": "Escalations",
    "nps": "NPS response",
    "csat": "CSAT",
}
WHOLE = frozenset({"active_users", "logins", "open_tickets", "escalations", "nps"})


def check_reading(
    values: dict[str, float | int | None], on: date | None = None, today: date | None = None
) -> dict[str, str]:
    """Every rule a reading must satisfy, as metric → message (empty when valid)."""
    errors: dict[str, str] = {}
    unknown = set(values) - set(METRICS)
    if unknown:
        errors["metrics"] = f"Unknown metric(s): {', '.join(sorted(unknown))}."
    for key, value in values.items():
        if value is None or key in unknown:
            continue
        if value < 0:
            errors[key] = f"{METRIC_LABELS[key]} cannot be negative ({value})."
        elif key in WHOLE and float(value) != int(value):
            errors[key] = f"{METRIC_LABELS[key]} must be a whole number ({value})."
    nps = values.get("nps")
    if nps is not None and "nps" not in errors and not 0 <= nps <= 10:
        errors["nps"] = f"An NPS response is a score from 0 to 10, not {nps}."
    pct = values.get("feature_adoption_pct")
    if pct is not None and "feature_adoption_pct" not in errors and pct > 100:
        errors["feature_adoption_pct"] = f"Feature adoption is a percentage (0 to 100), not {pct}."
    csat = values.get("csat")
    if csat is not None and "csat" not in errors and csat > 5:
        errors["csat"] = f"CSAT is a score from 1 to 5 (0 for none), not {csat}."
    if on is not None and today is not None and on > today:
        errors["on"] = f"The date {on.isoformat()} is in the future."
    return errors


def reading_warnings(values: dict[str, float | int | None], seats: int | None) -> list[str]:
    """Things worth a second look that are still accepted."""
    active = values.get("active_users")
    if active is not None and seats and active > seats:
        return [f"{int(active)} active users is more than the {seats} licensed seats."]
    return []
