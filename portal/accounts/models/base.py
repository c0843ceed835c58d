"""Declarative base, column types and enums shared by every model."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Enum, Integer, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# 64-bit everywhere, but SQLite only auto-increments a column declared exactly INTEGER.
BigInt = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored in UTC on every dialect (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise TypeError("naive datetime: pass an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def str_enum(enum_cls: type[enum.StrEnum]) -> Enum:
    """Store an enum as its plain string value, validated in Python, with no database-side type to migrate."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        int: BigInt,
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }
    if TYPE_CHECKING:
        # Every model maps one plain Table: so typed, `Model.__table__` has the `.name` and `.c` that COPY uses.
        __table__: ClassVar[Table]


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class CreatedMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---- enums ---------------------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    FIELD = "field"
    CSR = "csr"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CSR, Role.SUPERVISOR, Role.ADMIN})


class AccountClass(enum.StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"


class AccountStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DISCONNECTED = "disconnected"  # service shut off for non-payment; a restore order brings it back
    FINAL = "final"
    CLOSED = "closed"
    COLLECTIONS = "collections"


class ServiceKind(enum.StrEnum):
    WATER = "water"
    SEWER = "sewer"
    SOLID_WASTE = "solid_waste"
    STORMWATER = "stormwater"
    ELECTRIC = "electric"
    GAS = "gas"
    FIRE_LINE = "fire_line"  # a private fire-protection line: a flat monthly charge per line


class MeterKind(enum.StrEnum):
    WATER = "water"
    ELECTRIC = "electric"
    GAS = "gas"


class ReadSource(enum.StrEnum):
    FIELD = "field"
    CUSTOMER = "customer"
    CHECK = "check"
    ESTIMATED = "estimated"
    OFFICE = "office"


class LedgerKind(enum.StrEnum):
    CHARGE = "charge"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"
    LATE_FEE = "late_fee"
    DEPOSIT_BILLED = "deposit_billed"
    DEPOSIT_PAID = "deposit_paid"
    DEPOSIT_APPLIED = "deposit_applied"
    DEPOSIT_REFUNDED = "deposit_refunded"
    REFUND = "refund"
    FEE = "fee"
    REVERSAL = "reversal"
    TRANSFER = "transfer"
    # a balance taken off receivables: placed with the collection agency, or a bankruptcy discharge
    WRITE_OFF = "write_off"
    WRITE_OFF_RECOVERY = "write_off_recovery"  # part of a write-off owed again (the agency collected it, or a recall)
    AGENCY_FEE = "agency_fee"  # the agency's fee on what it collected: the utility's expense, credited to the account


class DepositStatus(enum.StrEnum):
    REQUIRED = "required"
    HELD = "held"
    WAIVED = "waived"
    APPLIED = "applied"
    REFUNDED = "refunded"


class ExtensionStatus(enum.StrEnum):
    PENDING_REVIEW = "pending_review"
    ACTIVE = "active"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"
    DENIED = "denied"


class BankDraftStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class WorkOrderKind(enum.StrEnum):
    START = "start"
    STOP = "stop"
    TRANSFER_READ = "transfer_read"
    DISCONNECT = "disconnect"
    RESTORE = "restore"
    READ = "read"
    CHECK_READ = "check_read"
    METER_TEST = "meter_test"
    LEAK_CHECK = "leak_check"
    METER_CHANGE = "meter_change"
    METER_INSTALL = "meter_install"
    INVESTIGATE = "investigate"


class WorkOrderStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Tender(enum.StrEnum):
    CASH = "cash"
    CHECK = "check"
    CARD = "card"


class Origin(enum.StrEnum):
    WEB = "web"
    SYNC = "sync"
    WEBHOOK = "webhook"
    JOB = "job"
    CLI = "cli"
