"""Run Alembic migrations from code (the CLI, the demo and the tests all migrate the same way)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


# Indexes a model cannot express (PostgreSQL-only trigram and pattern-ops indexes for account search, created by
# migration 0500 on PostgreSQL alone): autogenerate and the schema-drift test leave them out of the comparison.
DIALECT_ONLY_INDEX_SUFFIX = "_search"


# procrastinate's queue tables (PostgreSQL, migration 0800) belong to the library, not to our models.
QUEUE_TABLE_PREFIX = "procrastinate_"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if reflected and compare_to is None and type_ == "table" and (name or "").startswith(QUEUE_TABLE_PREFIX):
        return False
    return not (
        type_ == "index" and reflected and compare_to is None and (name or "").endswith(DIALECT_ONLY_INDEX_SUFFIX)
    )


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
