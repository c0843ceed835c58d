"""Work orders, completed-order photos, and the field devices' applied mutations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, WorkOrderKind, WorkOrderStatus, str_enum, utcnow


class WorkOrder(IdMixin, CreatedMixin, Base):
    __tablename__ = "work_order"
    __table_args__ = (
        Index("ix_work_order_assignee_status", "assigned_to_id", "status", "due_on"),
        Index("ix_work_order_assignee_updated", "assigned_to_id", "updated_at"),  # a phone's "what changed since"
    )

    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind))
    status: Mapped[WorkOrderStatus] = mapped_column(str_enum(WorkOrderStatus), default=WorkOrderStatus.OPEN)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premise.id"), index=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    instructions: Mapped[str | None] = mapped_column(Text)
    # What was done: read value, seal number, skip code, note. Filled when the order completes.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped on every change; a field device sends the version it saw so a stale action is detected.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Photo(IdMixin, CreatedMixin, Base):
    __tablename__ = "photo"

    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)  # the phone's UUID: a retried upload is a no-op
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int]
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None]
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class SyncMutation(IdMixin, Base):
    """One field action as the phone sent it; the unique mutation id makes a replay answer, not re-apply."""

    __tablename__ = "sync_mutation"
    __table_args__ = (Index("ix_sync_mutation_device_seq", "device_id", "seq"),)

    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    payload: Mapped[dict[str, Any]] = mapped_column()
    payload_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # applied | rejected
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)  # what staff wrote when they resolved the exception
    # A sync exception for dispatch (e.g. "order_cancelled": a disconnect done after the customer paid); staff
    # list the open ones (exception_code set, exception_resolved_at empty) and resolve them.
    exception_code: Mapped[str | None] = mapped_column(String(32), index=True)
    exception_resolved_at: Mapped[dt.datetime | None]
    exception_resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
