"""Money as integer minor units: parsing what people type and formatting it back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CURRENCY_SYMBOLS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "A$": "AUD",
    "C$": "CAD",
}
SYMBOL_FOR = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
ZERO_DECIMAL = {"JPY", "KRW"}
_CODE = re.compile(r"\b([A-Z]{3})\b")


class MoneyError(ValueError):
    """A text that is not an amount of money, with a message fit for the user."""


def minor_factor(currency: str) -> int:
    return 1 if currency.upper() in ZERO_DECIMAL else 100


def _normalize_number(text: str) -> str:
    """Resolve thousands and decimal separators: ``1,200.50``, ``1.200,50``, ``1 200``."""
    text = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    has_comma, has_dot = "," in text, "." in text
    if has_comma and has_dot:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    for sep in (",", "."):
        if sep in text:
            parts = text.split(sep)
            grouped = len(parts) > 2 or (len(parts[-1]) == 3 and parts[0] not in ("", "0"))
            if grouped and all(len(p) == 3 for p in parts[1:]):
                return text.replace(sep, "")
            if len(parts) == 2:
                return text.replace(sep, ".")
            raise MoneyError(f"'{text}' has separators in unexpected places")
    return text


def parse_money(text: str, default_currency: str = "USD") -> tuple[int, str]:
    """Parse an amount a person typed or a spreadsheet held; returns (minor units, currency).

    Accepts ``120000``, ``$120,000``, ``USD 1,200,000.00``, ``€8.500,00``. Rejects
    negative amounts, shorthand like ``12k`` and anything with other letters.
    """
    raw = text.strip()
    if not raw:
        return 0, default_currency
    currency = default_currency
    body = raw
    for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True):
        if symbol in body:
            currency = CURRENCY_SYMBOLS[symbol]
            body = body.replace(symbol, "")
            break
    code = _CODE.search(body.upper())
    if code and code.group(1) in _known_codes():
        currency = code.group(1)
        body = re.sub(code.group(1), "", body, flags=re.IGNORECASE)
    body = body.strip()
    if body.startswith("-") or body.endswith("-") or (body.startswith("(") and body.endswith(")")):
        raise MoneyError("the amount cannot be negative")
    if not body or not re.fullmatch(r"[0-9][0-9.,'\s\u00a0]*", body):
        raise MoneyError(f"'{raw}' is not an amount (use digits, e.g. 120000 or $120,000.00)")
    try:
        value = Decimal(_normalize_number(body))
    except InvalidOperation as exc:
        raise MoneyError(f"'{raw}' is not an amount") from exc
    factor = minor_factor(currency)
    minor = value * factor
    if minor != minor.to_integral_value():
        raise MoneyError(f"'{raw}' has more decimals than {currency} allows")
    if minor > 10**15:
        raise MoneyError(f"'{raw}' is too large")
    return int(minor), currency


def _known_codes() -> set[str]:
    return {
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "INR",
        "AUD",
        "CAD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "NZD",
        "SGD",
        "HKD",
        "BRL",
        "MXN",
        "ZAR",
        "PLN",
        "CZK",
        "KRW",
        "CNY",
        "ILS",
        "AED",
    }


def format_money(minor: int, currency: str = "USD", *, cents: bool = False) -> str:
    """``12000000, 'USD'`` → ``$120,000``; other currencies get their code as a prefix."""
    factor = minor_factor(currency)
    whole, frac = divmod(abs(minor), factor)
    sign = "-" if minor < 0 else ""
    number = f"{whole:,}"
    if cents and factor > 1:
        number += f".{frac:02d}"
    elif frac and factor > 1 and not cents:
        number = f"{Decimal(abs(minor)) / factor:,.2f}"
    symbol = SYMBOL_FOR.get(currency.upper())
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency.upper()} {number}"


def format_amount(minor: int, currency: str = "USD") -> str:
    """The number alone, for an edit field next to a currency picker: ``120,000`` or ``99.50``."""
    factor = minor_factor(currency)
    whole, frac = divmod(minor, factor)
    return f"{whole:,}" if not frac else f"{Decimal(minor) / factor:,.2f}"


def format_money_compact(minor: int, currency: str = "USD") -> str:
    """``$1.2M``, ``$450K`` for tight places such as table cells and charts."""
    value = minor / minor_factor(currency)
    symbol = SYMBOL_FOR.get(currency.upper(), currency.upper() + " ")
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"{symbol}{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{symbol}{value:,.0f}"
