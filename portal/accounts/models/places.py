"""Premises, their routes, meters and meter reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, MeterKind, ReadSource, str_enum


class Premise(IdMixin, CreatedMixin, Base):
    __tablename__ = "premise"
    __table_args__ = (Index("ix_premise_address", "address", "unit"),)

    address: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("premise.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(16), default="R01")
    cycle: Mapped[int] = mapped_column(Integer, default=1, index=True)
    # Field safety notes shown before a technician goes on site (dog, hazards, access).
    hazards: Mapped[str | None] = mapped_column(Text)
    solid_waste_carts: Mapped[int] = mapped_column(Integer, default=1)
    stormwater_erus: Mapped[int] = mapped_column(Integer, default=1)
    # The services the utility can give here (ServiceKind values), set when a premise is made for new construction;
    # None: every service (the premises that came before). Starting service opens only these.
    services_available: Mapped[list[str] | None] = mapped_column(JSON)

    @property
    def one_line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.address}{unit}, {self.city}, {self.state} {self.zip}"


class Route(IdMixin, CreatedMixin, Base):
    """A field route (the code premises carry in `Premise.route`) and its owning technician: every order at a premise
    on the route is assigned to the owner when it is created (portal/accounts/routes.py). Dispatch sets the owner."""

    __tablename__ = "route"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Meter(IdMixin, CreatedMixin, Base):
    __tablename__ = "meter"

    serial: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[MeterKind] = mapped_column(str_enum(MeterKind), default=MeterKind.WATER)
    size: Mapped[str] = mapped_column(String(8), default="5/8")
    dials: Mapped[int] = mapped_column(Integer, default=6)
    # Register units -> billing units (e.g. a register in tens of gallons has multiplier 10).
    multiplier: Mapped[int] = mapped_column(Integer, default=1)
    unit: Mapped[str] = mapped_column(String(8), default="gal")
    premise_id: Mapped[int | None] = mapped_column(ForeignKey("premise.id"), index=True)
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    location_note: Mapped[str | None] = mapped_column(String(200))


class MeterRead(IdMixin, CreatedMixin, Base):
    __tablename__ = "meter_read"
    __table_args__ = (Index("ix_meter_read_meter_at", "meter_id", "read_at"),)

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    value: Mapped[int]
    read_at: Mapped[dt.datetime]
    source: Mapped[ReadSource] = mapped_column(str_enum(ReadSource), default=ReadSource.FIELD)
    # high, low, re_entered, rollover: why the read was looked at twice.
    flags: Mapped[list[str]] = mapped_column(default=list)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    note: Mapped[str | None] = mapped_column(String(500))
