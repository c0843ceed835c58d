"""restore order meter: a restore order made by a payment names the meter its disconnect locked

Restore orders that a payment made (portal/accounts/payments.py) were written without a meter, so the technician's
page showed none and a restore recorded with a read was refused at the sync ("This order has no meter"). Each open
one takes the meter of its account's latest completed disconnect; its version and updated_at move on, so the
technicians' phones download it again at their next sync. Nothing else changes.

Revision ID: 0900
Revises: 0890
Create Date: 2026-12-05 19:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0900'
down_revision = '0890'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE work_order SET
            meter_id = (
                SELECT d.meter_id FROM work_order d
                WHERE d.account_id = work_order.account_id AND d.kind = 'disconnect' AND d.status = 'completed'
                  AND d.meter_id IS NOT NULL
                ORDER BY d.completed_at DESC, d.id DESC LIMIT 1
            ),
            version = version + 1,
            updated_at = CURRENT_TIMESTAMP
        WHERE kind = 'restore' AND meter_id IS NULL AND status IN ('open', 'assigned') AND account_id IS NOT NULL
          AND EXISTS (
            SELECT 1 FROM work_order d
            WHERE d.account_id = work_order.account_id AND d.kind = 'disconnect' AND d.status = 'completed'
              AND d.meter_id IS NOT NULL
          )
        """
    )


def downgrade() -> None:
    pass  # the meter is right: nothing to undo
