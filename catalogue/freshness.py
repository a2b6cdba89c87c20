"""When a fact is too old to rely on without checking it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def is_stale(observed_at: datetime | None, days: int, now: datetime | None = None) -> bool:
    """True when `observed_at` is more than `days` days before `now` (UTC)."""
    if observed_at is None:
        return False
    if observed_at.tzinfo is None:
        observed_at = observed_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - observed_at > timedelta(days=days)
