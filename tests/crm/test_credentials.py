"""Where a CRM token comes from: the environment, else the OS keyring; never a file."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from csmdesk.services.sync import credentials


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in memory, as an OS keyring would on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("CSMDESK_HUBSPOT_TOKEN", raising=False)
    monkeypatch.delenv("CSMDESK_HUBSPOT_URL", raising=False)
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_token_round_trip_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert credentials.keyring_status()[0]
    with pytest.raises(credentials.NotConnected):
        credentials.connection("hubspot")
    credentials.store_token("hubspot", " pat-na1-secret ")
    conn = credentials.connection("hubspot", "https://api.hubapi.com/")
    assert (conn.token, conn.url, conn.source) == (
        "pat-na1-secret",
        "https://api.hubapi.com",
        "keyring",
    )
    assert "secret" not in repr(conn)
    credentials.forget_token("hubspot")
    credentials.forget_token("hubspot")  # forgetting twice is fine
    with pytest.raises(credentials.NotConnected):
        credentials.connection("hubspot")


def test_environment_wins(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.store_token("hubspot", "pat-from-keyring")
    monkeypatch.setenv("CSMDESK_HUBSPOT_TOKEN", "pat-from-env")
    monkeypatch.setenv("CSMDESK_HUBSPOT_URL", "http://127.0.0.1:9999/")
    conn = credentials.connection("hubspot")
    assert (conn.token, conn.url, conn.source) == (
        "pat-from-env",
        "http://127.0.0.1:9999",
        "environment",
    )


def test_without_a_keyring_nothing_is_kept_anywhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CSMDESK_HUBSPOT_TOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        usable, why = credentials.keyring_status()
        assert not usable and "keyring" in why
        with pytest.raises(credentials.NoKeyring) as refused:
            credentials.store_token("hubspot", "pat-na1-secret")
        assert "CSMDESK_HUBSPOT_TOKEN" in str(refused.value) and "secret" not in str(refused.value)
        with pytest.raises(credentials.NotConnected) as missing:
            credentials.connection("hubspot")
        assert "CSMDESK_HUBSPOT_TOKEN" in str(missing.value)
    finally:
        keyring.set_keyring(previous)
