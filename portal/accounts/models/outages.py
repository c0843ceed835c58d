"""Outages of power or water: the reports residents and CSRs make, grouped into an outage with its affected area,
cause, crew order, estimated restoration and updates (docs/features.md, Outages). A report is its own row, not a
service request: a visitor on the public page may report a typed address with no account behind it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin


class Outage(IdMixin, CreatedMixin, Base):
    __tablename__ = "outage"

    utility: Mapped[str] = mapped_column(String(8))  # water | power
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | restored | closed
    cause: Mapped[str | None] = mapped_column(String(200))
    # the affected area: normalized street names, route codes, and/or a polygon of [lat, lon] points
    streets: Mapped[list[str]] = mapped_column(default=list)
    routes: Mapped[list[str]] = mapped_column(default=list)
    polygon: Mapped[list[Any]] = mapped_column(default=list)
    started_at: Mapped[dt.datetime]
    last_report_at: Mapped[dt.datetime]
    estimated_restore_at: Mapped[dt.datetime | None]
    restored_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    # [{"at": iso, "text": English words, "estimate": iso|None}], newest last; shown on the public page
    updates: Mapped[list[Any]] = mapped_column(default=list)


class OutageReport(IdMixin, CreatedMixin, Base):
    __tablename__ = "outage_report"

    outage_id: Mapped[int] = mapped_column(ForeignKey("outage.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))  # resident | public | csr
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    premise_id: Mapped[int | None] = mapped_column(ForeignKey("premise.id"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    address: Mapped[str] = mapped_column(String(160))
    street: Mapped[str] = mapped_column(String(120), index=True)
    route: Mapped[str | None] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # the reporter's contact for this outage's news (a visitor's; a resident's is their customer record): phone in
    # E.164, email, and the language they reported in (en | es), so each notice is worded as they read
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[dt.datetime]
