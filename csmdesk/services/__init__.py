"""Use cases over the store and the domain: what the GUI, the CLI and scripts call."""

# The CRM outbox listens to every session: local changes to synced records are queued in the
# transaction that makes them, whichever service makes them.
from csmdesk.services import sync as _sync  # noqa: F401
