"""Alembic environment: runs on a connection handed over by :mod:`survey.migrate`.

The app, the CLI and the tests all migrate through :func:`survey.migrate.upgrade`, which
puts the connection into ``config.attributes``; there is no second way to find the database.
"""

from alembic import context

import survey.admin.models  # noqa: F401  (the administration's tables)
import survey.jobs.models  # noqa: F401  (background jobs)
import survey.models  # noqa: F401  (registers the tables on the metadata)
import survey.results.models  # noqa: F401  (the export log)
from survey.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
