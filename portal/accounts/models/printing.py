"""Print batches: the paper a cycle's bill run sends out (one PDF and a vendor manifest), and what went in it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Base, CreatedMixin, IdMixin


class PrintBatch(IdMixin, CreatedMixin, Base):
    """One cycle's paper for one bill-run date. Unique per cycle and business date: a rerun finds it and makes none.
    The PDF and the manifest are stored here (not on one machine's disk), so any instance serves the download."""

    __tablename__ = "print_batch"
    __table_args__ = (UniqueConstraint("cycle", "business_date"),)

    cycle: Mapped[int] = mapped_column(Integer)
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    bills: Mapped[int] = mapped_column(Integer, default=0)
    letters: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    amount_due_cents: Mapped[int] = mapped_column(default=0)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(default=0)
    # Deferred: the list of batches never loads megabytes of PDF.
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    manifest_csv: Mapped[str] = deferred(mapped_column(Text, nullable=False))


class PrintItem(IdMixin, Base):
    """A document in a batch, in mailing order. Unique per document: a bill or a letter is printed once."""

    __tablename__ = "print_item"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("print_batch.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # bill, cutoff_letter
    ref_id: Mapped[int]  # the bill's id, or the cut-off notice's collection_contact id
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    pages: Mapped[int] = mapped_column(Integer, default=1)
    amount_cents: Mapped[int] = mapped_column(default=0)
