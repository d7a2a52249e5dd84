"""Alembic environment: runs on the connection handed over by store.migrate."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from store.findings import models as finding_models  # noqa: F401 - registers the findings tables on Base.metadata
from store.containment import models as containment_models  # noqa: F401 - registers the containment tables on Base.metadata
from store.scheduling import models as scheduling_models  # noqa: F401 - the clock's lease and notice ledger
from store.communications import repository as communications  # noqa: F401 - notifications, pages, regulatory clocks
from store.evidence import repository as evidence  # noqa: F401 - the chain-of-custody manifest
from store import chat_budget  # noqa: F401 - the deployment's Slack budget
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


run()
