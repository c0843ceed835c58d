"""Collection agency placements: the final accounts sent to the agency in a placement file, written off the
receivables, and what the agency later collects on them (docs/features.md, Collection agency)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Base, CreatedMixin, IdMixin, str_enum


class PlacementStatus(enum.StrEnum):
    PLACED = "placed"  # with the agency, written off
    RECALLED = "recalled"  # taken back (paid at the counter, disputed...): what was left is owed to the utility again
    PAID = "paid"  # the agency collected everything placed


class PlacementBatch(IdMixin, CreatedMixin, Base):
    """One placement file. Unique per business date: making the file again on the same day finds it and places
    nothing. The CSV is kept here as it was sent, so any instance serves the download."""

    __tablename__ = "placement_batch"

    made_on: Mapped[dt.date] = mapped_column(Date, unique=True)
    agency: Mapped[str] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(default=0)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    made_by_label: Mapped[str] = mapped_column(String(120), default="")
    csv_text: Mapped[str] = deferred(mapped_column(Text, nullable=False))


class CollectionPlacement(IdMixin, CreatedMixin, Base):
    """An account placed with the agency. One per account, ever: an account is placed once (the unique key)."""

    __tablename__ = "collection_placement"
    __table_args__ = (UniqueConstraint("account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("placement_batch.id"), index=True)
    agency: Mapped[str] = mapped_column(String(120))
    placed_on: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int]  # the balance written off and placed
    status: Mapped[PlacementStatus] = mapped_column(str_enum(PlacementStatus), default=PlacementStatus.PLACED)
    status_before: Mapped[str] = mapped_column(String(32))  # the account's status when placed (a recall restores it)
    write_off_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    recalled_on: Mapped[dt.date | None] = mapped_column(Date)
    recall_reason: Mapped[str | None] = mapped_column(String(300))


class CollectionRecovery(IdMixin, CreatedMixin, Base):
    """Money the agency collected on a placement: gross from the customer, its fee, the net it remits. Unique per
    placement and the agency's remittance reference: recording it twice records it once."""

    __tablename__ = "collection_recovery"
    __table_args__ = (UniqueConstraint("placement_id", "reference"),)

    placement_id: Mapped[int] = mapped_column(ForeignKey("collection_placement.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[dt.date] = mapped_column(Date)
    gross_cents: Mapped[int]
    fee_cents: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
