import pytest

from csmdesk.domain.money import MoneyError, format_amount, format_money, parse_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120000", (12_000_000, "USD")),
        ("$120,000", (12_000_000, "USD")),
        ("USD 1,200,000.00", (120_000_000, "USD")),
        ("€8.500,00", (850_000, "EUR")),
        ("EUR 12.000", (1_200_000, "EUR")),
        ("£99.50", (9_950, "GBP")),
        ("1 200,50 €", (120_050, "EUR")),
        ("0", (0, "USD")),
        ("", (0, "USD")),
        ("¥1,000", (1_000, "JPY")),
    ],
)
def test_parse_money_accepts_real_formats(text: str, expected: tuple[int, str]) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["12k", "-5", "(300)", "abc", "1.2.3,4,5", "12.345.6", "0.001"])
def test_parse_money_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_money(text)


def test_format_money_round_trips_through_parse() -> None:
    for minor, currency in [(12_000_000, "USD"), (850_000, "EUR"), (9_950, "GBP"), (123, "CHF")]:
        assert parse_money(format_money(minor, currency, cents=True), currency) == (minor, currency)
        assert parse_money(format_amount(minor, currency), currency) == (minor, currency)


def test_format_money_shows_symbol_or_code() -> None:
    assert format_money(12_000_000, "USD") == "$120,000"
    assert format_money(150, "USD") == "$1.50"
    assert format_money(100_000, "CHF") == "CHF 1,000"
