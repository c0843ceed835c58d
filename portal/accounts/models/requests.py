"""Service requests a resident (or a CSR for them) makes: start, stop, move, and problem reports. Each names the
work orders it created; whether it is done is read from those orders."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, str_enum


class RequestKind(enum.StrEnum):
    START = "start"
    STOP = "stop"
    MOVE = "move"
    PROBLEM = "problem"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"  # its orders are open (or done, which the orders tell)
    CANCELLED = "cancelled"


class ServiceRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "service_request"

    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), default=RequestStatus.PENDING)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # stop, move, problem: the account it concerns; start, move: the new (pending) account
    from_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    to_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    stop_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    start_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    problem_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    stop_on: Mapped[dt.date | None] = mapped_column(Date)
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    forwarding_address: Mapped[str | None] = mapped_column(Text)
    # problem kind, description, photo id; the deposit quoted; what the resident told us
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    cancelled_at: Mapped[dt.datetime | None]
