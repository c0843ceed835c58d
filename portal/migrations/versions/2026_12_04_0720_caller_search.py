"""caller search: the address and unit indexed as one line of words (portal/staff/search.py ADDRESS_WORDS_SQL)

Callers say "100 Oak Street Apt 103" or "Oak St 103": the search matches each word against the address and unit
together, which this trigram index answers on PostgreSQL. It replaces the index on the address alone. SQLite has no
such index and scans, which is fine for an embedded demo city.

Revision ID: 0720
Revises: 0710
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0720"
down_revision = "0710"
branch_labels = None
depends_on = None

ADDRESS_WORDS = "((' ' || lower(address || ' ' || coalesce(unit, '')) || ' ') gin_trgm_ops)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_premise_address_words_search ON premise USING gin {ADDRESS_WORDS}")
    op.execute("DROP INDEX IF EXISTS ix_premise_address_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_premise_address_search ON premise USING gin (address gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_premise_address_words_search")
