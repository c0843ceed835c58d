"""Customers, logins, passkeys and one-time sign-in codes."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CreatedMixin, IdMixin, Role, str_enum

if TYPE_CHECKING:
    from .accounts import Account


class Customer(IdMixin, CreatedMixin, Base):
    __tablename__ = "customer"

    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    business_name: Mapped[str | None] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    alt_phone: Mapped[str | None] = mapped_column(String(32))  # a second number (work, a relative), kept by staff
    language: Mapped[str] = mapped_column(String(8), default="en")
    paperless: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    mailing_address: Mapped[str | None] = mapped_column(Text)
    # Medical-alert certification on file until this date (cut-off lists exclude the account until then).
    medical_alert_until: Mapped[dt.date | None] = mapped_column(Date)

    accounts: Mapped[list[Account]] = relationship(back_populates="customer", lazy="raise")

    @property
    def display_name(self) -> str:
        if self.business_name:
            return self.business_name
        return f"{self.first_name} {self.last_name}".strip()


def _user_handle() -> bytes:
    return secrets.token_bytes(32)


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "app_user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(160))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # WebAuthn user.id: random, never the database id or the email (the spec asks for no personal data).
    webauthn_handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True, default=_user_handle)
    last_sign_in_at: Mapped[dt.datetime | None]
    # Part of every session cookie: bumping it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(default=1)

    passkeys: Mapped[list[Passkey]] = relationship(back_populates="user", lazy="raise", cascade="all, delete-orphan")


class UserAccount(Base):
    """The accounts a login may see and act on (a resident can link several)."""

    __tablename__ = "user_account"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True, index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class Passkey(IdMixin, CreatedMixin, Base):
    __tablename__ = "passkey"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list[str]] = mapped_column(default=list)
    aaguid: Mapped[str | None] = mapped_column(String(36))
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    nickname: Mapped[str] = mapped_column(String(80), default="Passkey")
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="passkeys", lazy="raise")


class SignInCode(IdMixin, CreatedMixin, Base):
    """A one-time code mailed to someone without a passkey; stored only as a hash."""

    __tablename__ = "sign_in_code"
    __table_args__ = (Index("ix_sign_in_code_email_created", "email", "created_at"),)

    email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(16), default="signin")
    code_hash: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any] | None] = mapped_column()
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # A hash of the asking browser's nonce: a code works (and counts wrong guesses) only in the browser that asked,
    # so someone asking codes for another person's address cannot spend or replace that person's code.
    requester: Mapped[str | None] = mapped_column(String(64))


class RevokedSession(Base):
    """A signed-out session's id: every copy of that cookie is refused on every instance until it would have
    expired anyway (session cookies are client-side, so ending one means remembering it here)."""

    __tablename__ = "revoked_session"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    revoked_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
