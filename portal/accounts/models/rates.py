"""Rate schedules as stored data: one row per version of a schedule, effective from a date (portal.billing.rates
parses and applies them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, ServiceKind, str_enum


class RateScheduleRecord(IdMixin, CreatedMixin, Base):
    __tablename__ = "rate_schedule"
    __table_args__ = (UniqueConstraint("rate_code", "effective_on"),)

    rate_code: Mapped[str] = mapped_column(String(32))  # what Service.rate_code names
    service_kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column()  # prices: see portal.billing.rates
    note: Mapped[str] = mapped_column(String(300), default="")  # why it changed (ordinance number, council date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
