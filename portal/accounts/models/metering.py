"""A meter's life at a premise beyond its reads: each meter set (an install at a new premise, or a change that
retires the old meter), and the bench or field tests of its accuracy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin


class MeterSet(IdMixin, CreatedMixin, Base):
    """A meter put in at a premise by a completed install or change order (one per order: a replayed field action
    finds it). A change names the removed meter and its final read; billing uses each meter for its days
    (docs/features.md, billing)."""

    __tablename__ = "meter_set"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), unique=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premise.id"), index=True)
    new_meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    new_first_read_id: Mapped[int] = mapped_column(ForeignKey("meter_read.id"))
    old_meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    old_final_read_id: Mapped[int | None] = mapped_column(ForeignKey("meter_read.id"))
    set_on: Mapped[dt.date] = mapped_column(Date)


class MeterTest(IdMixin, CreatedMixin, Base):
    """A meter's accuracy at low, mid and high flow, in tenths of a percent of the true volume (1000 = 100.0 %:
    above it the meter over-registers, the customer was billed for water they did not use)."""

    __tablename__ = "meter_test"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    tested_on: Mapped[dt.date] = mapped_column(Date)
    low_tenths: Mapped[int] = mapped_column(Integer)
    mid_tenths: Mapped[int] = mapped_column(Integer)
    high_tenths: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    over_registering: Mapped[bool] = mapped_column(Boolean, default=False)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(String(500))
