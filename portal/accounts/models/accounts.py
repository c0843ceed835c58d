"""Accounts and the services on them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import AccountClass, AccountStatus, Base, CreatedMixin, IdMixin, ServiceKind, str_enum

if TYPE_CHECKING:
    from .people import Customer
    from .places import Premise


class Account(IdMixin, CreatedMixin, Base):
    __tablename__ = "account"

    # Nine digits, the last a Damm check digit (see portal.accounts.numbers).
    number: Mapped[str] = mapped_column(String(12), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premise.id"), index=True)
    account_class: Mapped[AccountClass] = mapped_column(str_enum(AccountClass), default=AccountClass.RESIDENTIAL)
    status: Mapped[AccountStatus] = mapped_column(str_enum(AccountStatus), default=AccountStatus.PENDING, index=True)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    # The flags before cases (migration 0860 made each one set an open case); kept, no longer read.
    dispute_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    bankruptcy_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    consecutive_estimates: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship(back_populates="accounts", lazy="raise")
    premise: Mapped[Premise] = relationship(lazy="raise")
    services: Mapped[list[Service]] = relationship(back_populates="account", lazy="raise")


class Service(IdMixin, CreatedMixin, Base):
    __tablename__ = "service"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind))
    rate_code: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer, default=1)  # carts, ERUs
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    account: Mapped[Account] = relationship(back_populates="services", lazy="raise")
