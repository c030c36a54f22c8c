"""Where a CRM's address and token come from: the environment for scripts and tests, else the
OS keyring. Never a file, the database, the settings or a log.

``CSMDESK_HUBSPOT_URL`` / ``CSMDESK_HUBSPOT_TOKEN`` and ``CSMDESK_SALESFORCE_URL`` /
``CSMDESK_SALESFORCE_TOKEN`` win over the keyring (a session-only connection where no keyring
backend exists). The base URL, which is not a secret, may also be kept in ``syncstate``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

SERVICE = "CSM Desk"
ENV = {
    "hubspot": ("CSMDESK_HUBSPOT_URL", "CSMDESK_HUBSPOT_TOKEN"),
    "salesforce": ("CSMDESK_SALESFORCE_URL", "CSMDESK_SALESFORCE_TOKEN"),
}
DEFAULT_URL = {"hubspot": "https://api.hubapi.com", "salesforce": ""}
NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


class NoKeyring(RuntimeError):
    """No usable OS keyring: the token can only come from the environment, for this session."""


class NotConnected(RuntimeError):
    """No token for the provider, in the environment or the keyring."""


@dataclass(frozen=True)
class Connection:
    provider: str
    url: str
    token: str
    source: str  # "environment" or "keyring"

    def __repr__(self) -> str:  # the token never appears in a repr, a log or a traceback
        return f"Connection({self.provider!r}, {self.url!r}, source={self.source!r})"


def keyring_status() -> tuple[bool, str]:
    """(usable, the backend's name or why there is none)."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception as exc:  # a broken install
        return False, f"the keyring library cannot load ({exc.__class__.__name__})"
    backend = keyring.get_keyring()
    name = type(backend).__name__
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        return False, (
            "no OS keyring is available here (on Linux: GNOME Keyring or KWallet with "
            "Secret Service; on a server there usually is none)"
        )
    return True, f"{type(backend).__module__}.{name}"


def _account(provider: str) -> str:
    return f"{provider}-token"


def store_token(provider: str, token: str) -> None:
    usable, why = keyring_status()
    if not usable:
        raise NoKeyring(
            f"Cannot keep the {NAMES[provider]} token: {why}. Set {ENV[provider][1]} for this "
            "session instead; CSM Desk never writes a token to a file."
        )
    import keyring

    keyring.set_password(SERVICE, _account(provider), token.strip())


def forget_token(provider: str) -> None:
    usable, _ = keyring_status()
    if not usable:
        return
    import keyring
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):  # nothing kept: nothing to forget
        keyring.delete_password(SERVICE, _account(provider))


def connection(provider: str, stored_url: str | None = None) -> Connection:
    """The provider's address and token; :class:`NotConnected` when there is no token."""
    url_var, token_var = ENV[provider]
    url = (os.environ.get(url_var) or stored_url or DEFAULT_URL[provider]).rstrip("/")
    token = os.environ.get(token_var, "").strip()
    if token:
        return Connection(provider, url, token, "environment")
    usable, _ = keyring_status()
    if usable:
        import keyring

        try:
            kept = keyring.get_password(SERVICE, _account(provider))
        except Exception as exc:  # a locked or broken keyring: say so, never the secret
            raise NotConnected(
                f"The keyring could not be read ({exc.__class__.__name__})."
            ) from None
        if kept:
            return Connection(provider, url, kept, "keyring")
    hint = f"set {token_var}" if not usable else f"connect in Sync settings or set {token_var}"
    raise NotConnected(f"Not connected to {NAMES[provider]}: {hint}.")
