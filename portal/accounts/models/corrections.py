"""Corrections of billed periods (issue 15, part 1): a request to cancel and rebill one or more bills, with the
change that causes it (a read corrected or entered, or records fixed), held for a supervisor above the threshold."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, str_enum


class CorrectionKind(enum.StrEnum):
    READ_CORRECTED = "read_corrected"  # a wrong read's value fixed
    READ_ENTERED = "read_entered"  # an office or customer-reported read entered for a billed period
    RECORDS = "records"  # the account's records were fixed (meter multiplier, size, services): rebill from them


class CorrectionStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    DONE = "done"
    REJECTED = "rejected"


class BillCorrection(IdMixin, CreatedMixin, Base):
    """One cancel-and-rebill request. `change` is what to apply first (JSON: a read id and its new value, or a new
    read); `bill_ids` the bills it cancels and rebills, oldest first; the totals are the bills' before and after
    (the preview's when pending, the posted ones when done). `amount_cents` is the difference (ledger sign)."""

    __tablename__ = "bill_correction"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[CorrectionKind] = mapped_column(str_enum(CorrectionKind))
    status: Mapped[CorrectionStatus] = mapped_column(str_enum(CorrectionStatus), index=True)
    reason: Mapped[str] = mapped_column(String(500))  # the CSR's words, shown to the resident beside the bills
    change: Mapped[dict[str, Any]] = mapped_column(default=dict)
    bill_ids: Mapped[list[Any]] = mapped_column(default=list)
    old_total_cents: Mapped[int] = mapped_column(default=0)
    new_total_cents: Mapped[int] = mapped_column(default=0)
    amount_cents: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(300))
    done_on: Mapped[dt.date | None]
