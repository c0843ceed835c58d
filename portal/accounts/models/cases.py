"""Cases on an account (docs/features.md, Cases): a dispute, a complaint or a bankruptcy, worked from the CSR queue
with an owner, a due date, append-only notes and a resolution. The facts the cut-off, late-fee and arrears rules
use (the disputed amount, the balance held at a bankruptcy petition) are read from the open cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin


class Case(IdMixin, CreatedMixin, Base):
    __tablename__ = "case"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dispute | complaint | bankruptcy
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved
    reason: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)  # None: unassigned
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    # a dispute: the amount disputed (cut-off counts the past due less this)
    disputed_cents: Mapped[int | None] = mapped_column(Integer)
    # a bankruptcy: the petition, and the balance at the filing date that is held (no collection, no cut-off)
    chapter: Mapped[int | None] = mapped_column(Integer)
    case_number: Mapped[str | None] = mapped_column(String(40))
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    held_cents: Mapped[int | None] = mapped_column(Integer)
    discharged_on: Mapped[dt.date | None] = mapped_column(Date)
    write_off_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    # how it ended: resolved (a dispute or complaint), discharged or dismissed (a bankruptcy)
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[dt.datetime | None]


class CaseNote(IdMixin, CreatedMixin, Base):
    """A note on a case: added, never changed."""

    __tablename__ = "case_note"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
