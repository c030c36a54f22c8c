"""Spreadsheet formula injection: text cells a spreadsheet would run get a leading quote.

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``, ``-`` or
``@`` (and, in some versions, a tab or carriage return) as a formula. A contact named
``=HYPERLINK(...)`` in an exported CSV must stay text, so such cells are written
with a single quote in front, which every spreadsheet shows as plain text.

The rule is reversible: a text that already starts with quotes followed by one of
those characters gets one more quote, so :func:`unescape_cell` always gives back the
exact original. Numbers written as numbers are never escaped.
"""

from __future__ import annotations

TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"


def _needs_quote(text: str) -> bool:
    rest = text.lstrip(QUOTE)
    return bool(rest) and rest[0] in TRIGGERS


def escape_cell(text: str) -> str:
    """``=SUM(A1)`` → ``'=SUM(A1)``; ``'=x`` → ``''=x``; anything else unchanged."""
    return QUOTE + text if _needs_quote(text) else text


def unescape_cell(text: str) -> str:
    """The inverse of :func:`escape_cell`: ``'=SUM(A1)`` → ``=SUM(A1)``."""
    if text.startswith(QUOTE) and _needs_quote(text):
        return text[1:]
    return text
