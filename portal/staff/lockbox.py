"""Import a bank lockbox (mailed checks) payment file: one CSV line per payment, each posted exactly once.

Each line's key is the bank's item id when the file has one (`item_id`, `trace` or `sequence` column), else a hash
of the line's own facts plus how many identical lines came before it in the file, so two equal checks in one file
stay two payments while the same file imported again posts nothing new.

Expected columns (header row, any order, case-insensitive): account_number, amount, paid_on (YYYY-MM-DD or
MM/DD/YYYY), optional check_number, optional item_id/trace/sequence. A file may give the stub's OCR `scan_line`
instead of account_number (portal/billing/scanline.py): the line names the account, and its amount due is the
payment when the line has no amount; a scan line whose check digits are wrong is refused with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import audit, ledger_words, numbers
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError, NotFound
from portal.accounts.models import Account, LockboxBatch
from portal.accounts.payments import post_payment
from portal.accounts.policy import Policy
from portal.billing import scanline
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import params

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 20_000
ITEM_COLUMNS = ("item_id", "trace", "sequence")
MAX_ITEM_ID = 64  # the payment's key, "lockbox:<item id>", must fit the ledger's source key column


@dataclass(frozen=True)
class Line:
    line: int
    account_number: str
    amount_cents: int
    paid_on: dt.date
    check_number: str
    key: str


@dataclass(frozen=True)
class BadLine:
    line: int
    message: str


def _date(raw: str) -> dt.date:
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"):
        try:
            return params.check_date(dt.datetime.strptime(raw, fmt).date())
        except ValueError:
            continue
    raise ValueError(raw)


def _cents(raw: str) -> int:
    """Dollars and cents up to params.MAX_DOLLARS: a larger amount is a misread line, not a check."""
    return params.parse_cents(raw, maximum=params.MAX_CENTS)


def parse(content: bytes) -> tuple[list[Line], list[BadLine]]:
    """Lines and refusals from a lockbox CSV (pure: no database). A file that is not a CSV with the needed columns
    is refused whole."""
    if len(content) > MAX_BYTES:
        raise DomainError(_("The file is larger than 2 MB."), field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("The file is not a text CSV file."), field="file") from None
    # newline="": a quoted field may hold a line break or a stray CR (the csv module's own reading of it).
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    read = [1]  # the last record read (1 is the header)
    try:
        return _lines(reader, read)
    except csv.Error as exc:
        # A broken quote: the rest of the file cannot be trusted, so none of it is posted.
        raise DomainError(
            _(
                "Line %(line)d cannot be read as CSV (%(reason)s); nothing was posted.",
                line=read[0] + 1,
                reason=str(exc),
            ),
            field="file",
        ) from None


def _lines(reader: csv.DictReader, read: list[int]) -> tuple[list[Line], list[BadLine]]:
    header = {name.strip().lower(): name for name in (reader.fieldnames or []) if name}
    has_scan = "scan_line" in header
    needed = ("paid_on",) if has_scan else ("account_number", "amount", "paid_on")
    if any(column not in header for column in needed):
        raise DomainError(
            _("The file needs the columns account_number, amount and paid_on (or scan_line and paid_on)."),
            field="file",
        )
    item_column = next((header[c] for c in ITEM_COLUMNS if c in header), None)
    good: list[Line] = []
    bad: list[BadLine] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(reader, start=2):  # line 1 is the header
        read[0] = index
        if index > MAX_LINES + 1:
            raise DomainError(_("The file has more than %(count)d lines.", count=MAX_LINES), field="file")
        get = lambda column, row=row: (row.get(header.get(column, ""), "") or "").strip()  # noqa: E731 - a one-line reader of this row's cells
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        if any(params.has_nul(value) for value in row.values()):
            bad.append(BadLine(index, _("The line holds a control character (NUL).")))
            continue
        scanned = _scan(get("scan_line")) if has_scan and get("scan_line") else None
        if isinstance(scanned, BadLine):
            bad.append(BadLine(index, scanned.message))
            continue
        raw_number = get("account_number")
        try:
            number = scanned.account_number if scanned else numbers.normalize(raw_number)
        except numbers.InvalidAccountNumber:
            bad.append(BadLine(index, _("Account number %(number)s is not valid.", number=raw_number or "—")))
            continue
        if scanned and raw_number and numbers.is_valid(raw_number) and numbers.normalize(raw_number) != number:
            bad.append(BadLine(index, _("The scan line and the account number name different accounts.")))
            continue
        try:
            # What the check paid, always from the amount column: the stub's amount due is what was asked, and a
            # partial payment posted as paid in full would be wrong money.
            cents = _cents(get("amount"))
        except params.BadValue:
            bad.append(
                BadLine(
                    index,
                    _(
                        "Amount %(amount)s is not a number of dollars and cents up to %(max)s.",
                        amount=get("amount")[:40] or "—",
                        max=format_money(params.MAX_CENTS),
                    ),
                )
            )
            continue
        if cents <= 0:
            bad.append(BadLine(index, _("The amount must be above zero.")))
            continue
        try:
            paid_on = _date(get("paid_on"))
        except ValueError:
            bad.append(
                BadLine(index, _("Date %(date)s is not a date between 1900 and 2100.", date=get("paid_on")[:40] or "—"))
            )
            continue
        check = " ".join(get("check_number").split())[:32]  # a line break inside the quotes is not part of the number
        if item_column:
            item = (row.get(item_column) or "").strip()
            if not item:
                bad.append(BadLine(index, _("The line has no bank item id.")))
                continue
            if len(item) > MAX_ITEM_ID:
                bad.append(
                    BadLine(index, _("The bank item id is longer than %(count)d characters.", count=MAX_ITEM_ID))
                )
                continue
            key = f"lockbox:{item}"
        else:
            facts = f"{number}|{cents}|{paid_on.isoformat()}|{check}"
            seen[facts] = seen.get(facts, 0) + 1
            key = "lockbox:" + hashlib.sha256(f"{facts}|{seen[facts]}".encode()).hexdigest()[:40]
        good.append(Line(index, number, cents, paid_on, check, key))
    return good, bad


def _scan(raw: str) -> scanline.ScanLine | BadLine:
    """The stub's scan line, or why it cannot be read (a misread is never posted to a guessed account)."""
    try:
        return scanline.parse(raw)
    except scanline.BadScanLine as exc:
        shown = raw[:40]
        if exc.reason == "account_check":
            return BadLine(0, _("Scan line %(line)s: the account number's check digit is wrong.", line=shown))
        if exc.reason == "line_check":
            return BadLine(0, _("Scan line %(line)s: the line's check digit is wrong (a misread amount?).", line=shown))
        return BadLine(0, _("Scan line %(line)s is not 20 digits (account, amount in cents, check digit).", line=shown))


async def import_file(
    session: AsyncSession, actor: Actor, policy: Policy, *, file_name: str, content: bytes, timezone: str
) -> LockboxBatch:
    lines, bad = parse(content)
    report: list[dict[str, Any]] = [{"line": b.line, "outcome": "rejected", "message": b.message} for b in bad]
    accounts = (
        {
            a.number: a
            for a in await session.scalars(
                select(Account).where(Account.number.in_({line.account_number for line in lines}))
            )
        }
        if lines
        else {}
    )
    posted = duplicates = 0
    posted_cents = 0
    noon = dt.time(12)
    for line in lines:
        account = accounts.get(line.account_number)
        if account is None:
            report.append(
                {
                    "line": line.line,
                    "outcome": "rejected",
                    "message": _("No account %(number)s.", number=numbers.display(line.account_number)),
                }
            )
            continue
        try:
            async with session.begin_nested():
                result = await post_payment(
                    session,
                    actor,
                    account_id=account.id,
                    amount_cents=line.amount_cents,
                    source_key=line.key,
                    method="lockbox",
                    paid_at=dt.datetime.combine(line.paid_on, noon, dt.UTC),
                    timezone=timezone,
                    reference=_("check %(number)s", number=line.check_number) if line.check_number else "",
                    memo=ledger_words.memo("payment_check", method="lockbox", number=line.check_number)
                    if line.check_number
                    else "",
                    policy=policy,
                )
        except Conflict as exc:
            report.append({"line": line.line, "outcome": "rejected", "message": exc.message})
            continue
        if result.created:
            posted += 1
            posted_cents += line.amount_cents
            report.append(
                {
                    "line": line.line,
                    "outcome": "posted",
                    "account": line.account_number,
                    "amount_cents": line.amount_cents,
                }
            )
        else:
            duplicates += 1
            report.append(
                {
                    "line": line.line,
                    "outcome": "duplicate",
                    "account": line.account_number,
                    "amount_cents": line.amount_cents,
                }
            )
    report.sort(key=lambda item: int(item["line"]))
    batch = LockboxBatch(
        file_name=file_name[:200] or "lockbox.csv",
        sha256=hashlib.sha256(content).hexdigest(),
        imported_by_id=actor.user_id,
        lines=len(lines) + len(bad),
        posted=posted,
        duplicates=duplicates,
        rejected=len(report) - posted - duplicates,
        posted_cents=posted_cents,
        report=report,
    )
    session.add(batch)
    await session.flush()
    await audit.record(
        session,
        actor,
        "lockbox.import",
        "lockbox_batch",
        batch.id,
        after={
            "file": batch.file_name,
            "posted": posted,
            "duplicates": duplicates,
            "rejected": batch.rejected,
            "posted_cents": posted_cents,
        },
    )
    return batch


async def recent_batches(session: AsyncSession, limit: int = 20) -> list[LockboxBatch]:
    return list(await session.scalars(select(LockboxBatch).order_by(LockboxBatch.id.desc()).limit(limit)))


async def batch_by_id(session: AsyncSession, batch_id: int) -> LockboxBatch:
    batch = await session.get(LockboxBatch, batch_id)
    if batch is None:
        raise NotFound(_("No such import."))
    return batch
