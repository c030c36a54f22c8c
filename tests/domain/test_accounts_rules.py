from datetime import date

import pytest

from csmdesk.domain.accounts import (
    AccountDraft,
    ContactDraft,
    normalize_domain,
    normalize_tags,
    parse_seats,
    validate_account,
    validate_contact,
)
from csmdesk.domain.renewals import days_until, describe_days_left, renews_within


def test_valid_account_has_no_errors() -> None:
    draft = AccountDraft(
        name="Acme",
        domain="acme.com",
        arr_minor=100,
        contract_start=date(2026, 1, 1),
        renewal_date=date(2027, 1, 1),
    )
    assert validate_account(draft) == {}


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (AccountDraft(name="   "), "name"),
        (AccountDraft(name="A", arr_minor=-5), "arr"),
        (
            AccountDraft(name="A", contract_start=date(2026, 5, 1), renewal_date=date(2026, 4, 30)),
            "renewal_date",
        ),
        (AccountDraft(name="A", domain="not a domain"), "domain"),
        (AccountDraft(name="A", segment="giant"), "segment"),
        (AccountDraft(name="A", lifecycle="zombie"), "lifecycle"),
        (AccountDraft(name="A", currency="dollars"), "currency"),
        (AccountDraft(name="A", licensed_seats=-1), "licensed_seats"),
    ],
)
def test_invalid_account_names_the_field(draft: AccountDraft, field: str) -> None:
    assert field in validate_account(draft)


def test_renewal_on_contract_start_is_allowed() -> None:
    d = date(2026, 3, 1)
    assert validate_account(AccountDraft(name="A", contract_start=d, renewal_date=d)) == {}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("ACME.io", "acme.io"),
        ("", None),
        ("http://sub.acme.co.uk:8080/x?y", "sub.acme.co.uk"),
        (None, None),
    ],
)
def test_normalize_domain(raw: str | None, clean: str | None) -> None:
    assert normalize_domain(raw) == clean


def test_normalize_tags_dedupes_case_insensitively_and_sorts() -> None:
    assert normalize_tags("sso, API,  strategic ,sso,,api") == ("API", "sso", "strategic")


def test_parse_seats() -> None:
    assert parse_seats(" 1,250 ") == 1250
    assert parse_seats("") is None
    with pytest.raises(ValueError):
        parse_seats("12k")


def test_contact_rules() -> None:
    assert validate_contact(ContactDraft(name="Priya", email="priya@acme.com")) == {}
    assert "email" in validate_contact(ContactDraft(name="Priya", email="priya(at)acme"))
    assert "name" in validate_contact(ContactDraft(name=""))
    assert "roles" in validate_contact(ContactDraft(name="P", roles=("boss",)))


def test_contact_normalization_orders_roles_and_lowercases_email() -> None:
    draft = ContactDraft(
        name=" Priya  Nair ", email=" Priya@Acme.COM ", roles=("billing", "champion")
    ).normalized()
    assert draft.name == "Priya Nair"
    assert draft.email == "priya@acme.com"
    assert draft.roles == ("champion", "billing")


def test_days_left() -> None:
    today = date(2026, 11, 25)
    assert days_until(date(2026, 12, 25), today) == 30
    assert days_until(None, today) is None
    assert renews_within(date(2026, 12, 25), today, 30)
    assert not renews_within(date(2026, 12, 26), today, 30)
    assert not renews_within(date(2026, 11, 24), today, 30)
    assert describe_days_left(-3) == "3 d overdue"
    assert describe_days_left(0) == "today"
