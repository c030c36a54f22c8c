"""Alembic environment: always run on the connection CSM Desk hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run Alembic from its own CLI
    raise RuntimeError("CSM Desk migrations run through csmdesk.store.migrate.upgrade()")

target_metadata = context.config.attributes.get("target_metadata")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
