"""Alembic environment: migrations run on a connection handed in by nvrd.store.db."""

from alembic import context

from nvrd.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
