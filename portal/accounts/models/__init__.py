"""The shared account model (docs/design.md, section 2): every side reads and writes these tables."""

from .accounts import Account, Service
from .base import (
    STAFF_ROLES,
    AccountClass,
    AccountStatus,
    BankDraftStatus,
    Base,
    DepositStatus,
    ExtensionStatus,
    LedgerKind,
    MeterKind,
    Origin,
    ReadSource,
    Role,
    ServiceKind,
    Tender,
    WorkOrderKind,
    WorkOrderStatus,
    utcnow,
)
from .money import BankDraft, Bill, BillLine, CashDrawer, Counter, Deposit, LedgerEntry, PaymentExtension, Receipt
from .online_payments import OnlinePayment, PaymentRefund, StripeEvent
from .orders import Photo, SyncMutation, WorkOrder
from .people import Customer, Passkey, RevokedSession, SignInCode, User, UserAccount
from .places import Meter, MeterRead, Premise, Route
from .rates import RateScheduleRecord
from .system import AuditEvent, MailMessage, ThrottleHit
from .requests import RequestKind, RequestStatus, ServiceRequest  # noqa: F401
from .staff import AccountNote, Adjustment, AdjustmentKind, AdjustmentStatus, ArrangementStatus, CollectionContact, ContactKind, LockboxBatch, MedicalCertification, PaymentArrangement, RefundRequest, RefundStatus  # noqa: F401, E501

__all__ = [
    "STAFF_ROLES",
    "Account",
    "AccountClass",
    "AccountStatus",
    "AuditEvent",
    "BankDraft",
    "BankDraftStatus",
    "Base",
    "Bill",
    "BillLine",
    "CashDrawer",
    "Counter",
    "Customer",
    "Deposit",
    "DepositStatus",
    "ExtensionStatus",
    "LedgerEntry",
    "LedgerKind",
    "MailMessage",
    "Meter",
    "MeterKind",
    "MeterRead",
    "OnlinePayment",
    "Origin",
    "Passkey",
    "PaymentExtension",
    "PaymentRefund",
    "Photo",
    "Premise",
    "ReadSource",
    "RevokedSession",
    "RateScheduleRecord",
    "Receipt",
    "Role",
    "Route",
    "Service",
    "ServiceKind",
    "SignInCode",
    "StripeEvent",
    "SyncMutation",
    "Tender",
    "ThrottleHit",
    "User",
    "UserAccount",
    "WorkOrder",
    "WorkOrderKind",
    "WorkOrderStatus",
    "utcnow",
]
