"""Ranking names for the quick switcher: type a few letters, get the account."""

from __future__ import annotations

from collections.abc import Iterable


def score(query: str, name: str) -> int | None:
    """Lower is better; ``None`` when ``name`` does not match ``query``.

    Whole-name prefix beats word prefix beats initials ("nt" → "Northwind
    Traders") beats substring beats letters in order ("acro" → "Acme Robotics").
    """
    q = query.casefold().strip()
    n = name.casefold()
    if not q:
        return 0
    if n.startswith(q):
        return 0
    words = n.split()
    if any(w.startswith(q) for w in words):
        return 1
    initials = "".join(w[0] for w in words if w)
    if len(q) > 1 and initials.startswith(q.replace(" ", "")):
        return 2
    if q in n:
        return 3
    pos = 0
    for ch in q.replace(" ", ""):
        pos = n.find(ch, pos)
        if pos < 0:
            return None
        pos += 1
    return 4


def rank(query: str, items: Iterable[tuple[int, str]], limit: int = 50) -> list[tuple[int, str]]:
    """The best ``limit`` (id, name) pairs for ``query``, best first, then by name."""
    scored = []
    for item_id, name in items:
        s = score(query, name)
        if s is not None:
            scored.append((s, len(name), name.casefold(), item_id, name))
    scored.sort()
    return [(item_id, name) for *_, item_id, name in scored[:limit]]
