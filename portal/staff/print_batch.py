"""Print batches: after a cycle's bill run, one PDF of everything that goes out on paper for that cycle (bills of
customers who are not paperless, and the cut-off letters of customers without email), in postal presort order
(ZIP, then route and address), each document in its customer's language and starting on its own sheet; each bill with
a remittance stub carrying the OCR scan line (portal/billing/scanline.py). Plus a CSV manifest for the print vendor.

Plus, each business day, a letters-only batch (cycle LETTERS, 0): every letter waiting in the outbox, whatever its
cycle, so a cut-off notice or a bounced email's letter goes out the next business day, not with the next bill run.

One batch per cycle and business date (a unique row): running it again finds the batch and makes nothing. The PDF
and the manifest are stored in the row, so any instance serves the download. Rendering is the slow part (weasyprint
lays out ~20-30 pages/s a core): documents are laid out one by one in chunks, chunks in parallel processes when asked,
and the chunks joined with pypdf (docs/benchmarks.md#print-batch).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import io
import multiprocessing
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal import i18n, mail
from portal.accounts import audit, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    Bill,
    BillLine,
    CollectionContact,
    ContactKind,
    Customer,
    Premise,
    PrintBatch,
    PrintItem,
)
from portal.billing import scanline
from portal.billing.amount_due import amount_due_cents, deposits_applied, due_now_cents
from portal.billing.run import EMAILED
from portal.billing.wording import MESSAGES, render
from portal.settings import Settings

from . import cutoff

BILL = "bill"
LETTER = "cutoff_letter"
LETTERS = 0  # the cycle of the daily letters-only batch (the billing cycles are 1 and up)
CHUNK = 100  # documents a process lays out at once (memory stays flat however big the cycle)
MANIFEST_COLUMNS = (
    "sequence",
    "account",
    "name",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "zip",
    "pages",
    "amount_due",
    "document",
)
_ZIP = re.compile(r"\b(\d{5}(?:-\d{4})?)\s*$")


def presort_key(zip_code: str, route: str, address: str) -> tuple[str, str, str, str]:
    """Postal presort order: the 5-digit ZIP first (what the presort discount counts), then ZIP+4, the route and the
    street address, so a carrier's mail comes out together."""
    return (zip_code[:5], zip_code, route, address.casefold())


@dataclass
class Doc:
    """One document to print, as plain data (it crosses into the rendering processes)."""

    kind: str
    ref_id: int
    account_id: int
    account_number: str
    name: str
    address_lines: list[str]
    zip: str
    route: str
    language: str
    amount_cents: int
    context: dict[str, Any] = field(default_factory=dict)  # what the template shows
    pages: int = 1

    def key(self) -> tuple[Any, ...]:
        return (*presort_key(self.zip, self.route, self.address_lines[0] if self.address_lines else ""), self.kind)


def mailing(customer: Customer, premise: Premise) -> tuple[list[str], str]:
    """The envelope's address lines and ZIP: the customer's mailing address when they gave one, else the premise."""
    if customer.mailing_address and customer.mailing_address.strip():
        lines = [line.strip() for line in customer.mailing_address.replace(",", "\n").splitlines() if line.strip()]
        found = _ZIP.search(lines[-1]) if lines else None
        if lines and found:
            return lines[:3], found.group(1)
    street = f"{premise.address} {premise.unit}" if premise.unit else premise.address
    return [street, f"{premise.city}, {premise.state} {premise.zip}"], premise.zip


# ---- what goes in a batch -----------------------------------------------------------------------------------------


async def bills_to_print(session: AsyncSession, cycle: int, day: dt.date) -> list[Doc]:
    """The cycle's bills of that bill date that are not emailed (billing.run.EMAILED): paperless off, or no way to
    email the bill."""
    rows = list(
        await session.execute(
            select(Bill, Account, Customer, Premise)
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .join(Premise, Premise.id == Account.premise_id)
            .where(Bill.cycle == cycle, Bill.bill_date == day, not_(EMAILED))
        )
    )
    ids = [bill.id for bill, *_ in rows]
    lines: dict[int, list[BillLine]] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for line in await session.scalars(
            select(BillLine).where(BillLine.bill_id.in_(part)).order_by(BillLine.bill_id, BillLine.sort, BillLine.id)
        ):
            lines.setdefault(line.bill_id, []).append(line)
    deposits = await deposits_applied(session, ids)
    docs = []
    for bill, account, customer, premise in rows:
        address, zip_code = mailing(customer, premise)
        due = amount_due_cents(bill.previous_balance_cents, bill.total_cents, deposits.get(bill.id, 0))
        stored = (bill.document or {}).get("lines") or []
        docs.append(
            Doc(
                BILL,
                bill.id,
                account.id,
                account.number,
                customer.display_name,
                address,
                zip_code,
                premise.route,
                customer.language or "en",
                due,
                {
                    "service_address": premise.one_line,
                    "bill_date": bill.bill_date.isoformat(),
                    "due_date": bill.due_date.isoformat(),
                    "period": [bill.period_start.isoformat(), bill.period_end.isoformat()],
                    "final": bill.final,
                    "estimated": bill.estimated,
                    "previous_cents": bill.previous_balance_cents,
                    "total_cents": bill.total_cents,
                    "deposit_cents": deposits.get(bill.id, 0),
                    "due_now_cents": due_now_cents(
                        bill.previous_balance_cents, bill.total_cents, deposits.get(bill.id, 0)
                    ),
                    "usage": bill.usage,
                    # (stored message, English text, cents): the words are rendered in the customer's language
                    "lines": [
                        (stored[i][:2] if i < len(stored) else None, line.description, line.amount_cents)
                        for i, line in enumerate(lines.get(bill.id, []))
                    ],
                },
            )
        )
    return docs


async def letters_to_print(session: AsyncSession, cycle: int, day: dt.date, timezone: str) -> list[Doc]:
    """The cut-off letters waiting in the outbox (channel "letter", queued: a notice sent by letter, or the letter an
    undeliverable email or text falls back to) for the cycle's accounts (every account for LETTERS), recorded up to
    the end of `day`, that no batch has printed yet; the letter's contents are what cutoff.letters gives."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), ZoneInfo(timezone))
    printed = select(PrintItem.ref_id).where(PrintItem.kind == LETTER)
    waiting = [id_ for message in await mail.letters_to_print(session) if (id_ := cutoff.contact_of(message.about))]
    if not waiting:
        return []
    ids = list(
        await session.scalars(
            select(CollectionContact.id)
            .join(Account, Account.id == CollectionContact.account_id)
            .join(Premise, Premise.id == Account.premise_id)
            .where(
                CollectionContact.kind == ContactKind.CUTOFF_NOTICE,
                CollectionContact.id.in_(waiting),
                CollectionContact.contacted_at < end,
                CollectionContact.id.not_in(printed),
                *([] if cycle == LETTERS else [Premise.cycle == cycle]),
            )
        )
    )
    docs = []
    for contact_id in ids:
        for letter in await cutoff.letters(session, contact_id=contact_id):
            address, zip_code = mailing(letter.customer, letter.premise)
            docs.append(
                Doc(
                    LETTER,
                    letter.contact.id,
                    letter.account.id,
                    letter.account.number,
                    letter.customer.display_name,
                    address,
                    zip_code,
                    letter.premise.route,
                    letter.language,
                    letter.amount_cents,
                    {
                        "sent_on": letter.sent_on.isoformat(),
                        "cutoff_on": letter.cutoff_on.isoformat() if letter.cutoff_on else None,
                        "service_address": letter.premise.one_line,
                    },
                )
            )
    return docs


async def mark_letters_printed(session: AsyncSession, actor: Actor, contact_ids: list[int], batch_id: int) -> int:
    """The letters went into a mailing batch: their outbox messages are marked printed, from which the notice counts
    as given (cutoff.notices_reached), and each notice gets an audit row."""
    abouts = {cutoff.notice_about(contact_id) for contact_id in contact_ids}
    await mail.mark_printed(
        session, [m.id for m in await mail.letters_to_print(session) if m.about in abouts], str(batch_id)
    )
    await audit.record_many(
        session,
        actor,
        [
            {
                "action": "cutoff_letter.printed",
                "entity_type": "collection_contact",
                "entity_id": contact_id,
                "after": {"print_batch": batch_id},
            }
            for contact_id in contact_ids
        ],
    )
    return len(contact_ids)


# ---- rendering ----------------------------------------------------------------------------------------------------


def _environment(settings: Settings) -> Any:
    from portal.web.assets import Assets
    from portal.web.templating import make_environment

    return make_environment(settings, Assets())


def _bill_html(env: Any, doc: Doc, anchor: int, public_url: str) -> str:
    ctx = doc.context
    lines = []
    for message, english, cents in ctx["lines"]:
        words = render(message[0], message[1] if len(message) > 1 else {}) if message and message[0] in MESSAGES else ""
        lines.append((words or english, cents))
    return str(
        env.get_template("staff/print_bill.html").render(
            doc=doc,
            anchor=anchor,
            lines=lines,
            bill_date=dt.date.fromisoformat(ctx["bill_date"]),
            due_date=dt.date.fromisoformat(ctx["due_date"]),
            period=[dt.date.fromisoformat(d) for d in ctx["period"]],
            scan_line=scanline.make(doc.account_number, doc.amount_cents),
            public_url=public_url,
        )
    )


def _letter_html(env: Any, doc: Doc, anchor: int, public_url: str) -> str:
    ctx = doc.context
    cutoff_on = dt.date.fromisoformat(ctx["cutoff_on"]) if ctx["cutoff_on"] else None
    sent_on = dt.date.fromisoformat(ctx["sent_on"])
    account = Account(id=doc.account_id, number=doc.account_number)
    premise = _PremiseWords(ctx["service_address"])
    subject, paragraphs = cutoff.notice_wording(
        account,
        premise,  # type: ignore[arg-type]
        doc.amount_cents,
        cutoff_on or sent_on,
        phone=env.globals["utility_phone"],
    )
    return str(
        env.get_template("staff/print_letter.html").render(
            doc=doc,
            anchor=anchor,
            subject=subject,
            paragraphs=paragraphs,
            sent_on=sent_on,
            cutoff_on=cutoff_on,
            public_url=public_url,
        )
    )


@dataclass(frozen=True)
class _PremiseWords:
    """What the notice's wording reads of a premise (its one-line address)."""

    one_line: str


def render_chunk(settings: Settings, docs: list[dict[str, Any]]) -> tuple[bytes, list[int]]:
    """Lay out a chunk of documents as one PDF, each in its language and starting on a new sheet; (pdf, pages per
    document, found from the page each document's anchor starts on). A plain function of plain data, so it runs in
    a process pool."""
    import weasyprint

    env = _environment(settings)
    sections = []
    for anchor, data in enumerate(docs):
        doc = Doc(**data)
        with i18n.use_locale(doc.language):
            sections.append((_bill_html if doc.kind == BILL else _letter_html)(env, doc, anchor, settings.public_url))
    html = env.get_template("staff/print_batch_pdf.html").render(sections=sections, title=settings.utility_name)
    document = weasyprint.HTML(string=html).render()
    # A document longer than a page has its anchor on each page it spans: its first page is where it starts.
    first: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name.startswith("doc-"):
                first.setdefault(name, index)
    starts = [first[f"doc-{anchor}"] for anchor in range(len(docs)) if f"doc-{anchor}" in first]
    if len(starts) != len(docs) or starts != sorted(set(starts)):
        raise RuntimeError(f"{len(docs)} documents laid out on {len(set(starts))} first pages")
    pages = [end - start for start, end in zip(starts, [*starts[1:], len(document.pages)], strict=True)]
    return document.write_pdf(), pages


def join_pdfs(parts: list[bytes]) -> bytes:
    if len(parts) == 1:
        return parts[0]
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_all(
    settings: Settings, docs: list[Doc], processes: int = 1, progress: Callable[[str], object] = lambda _m: None
) -> bytes:
    """The batch's PDF; sets each document's page count."""
    chunks = [[asdict(d) for d in docs[i : i + CHUNK]] for i in range(0, len(docs), CHUNK)]
    results: list[tuple[bytes, list[int]]] = []
    if processes > 1 and len(chunks) > 1:
        # spawn, not fork: a worker or the app forks with an event loop, threads and open connections.
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            for number, result in enumerate(pool.map(render_chunk, [settings] * len(chunks), chunks), start=1):
                results.append(result)
                progress(f"print batch: {min(number * CHUNK, len(docs)):,} of {len(docs):,} documents laid out")
    else:
        for number, chunk in enumerate(chunks, start=1):
            results.append(render_chunk(settings, chunk))
            progress(f"print batch: {min(number * CHUNK, len(docs)):,} of {len(docs):,} documents laid out")
    counts = [n for _pdf, pages in results for n in pages]
    for doc, pages in zip(docs, counts, strict=True):
        doc.pages = pages
    return join_pdfs([pdf for pdf, _pages in results])


def manifest(docs: Iterable[Doc]) -> str:
    """The print vendor's CSV: one row per document in mailing order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for sequence, doc in enumerate(docs, start=1):
        lines = (doc.address_lines + ["", "", ""])[:3]
        writer.writerow(
            [
                sequence,
                doc.account_number,
                doc.name,
                *lines,
                doc.zip,
                doc.pages,
                f"{doc.amount_cents / 100:.2f}",
                doc.kind,
            ]
        )
    return out.getvalue()


# ---- the batch ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    batch_id: int
    created: bool
    bills: int
    letters: int
    pages: int


async def existing(session: AsyncSession, cycle: int, day: dt.date) -> PrintBatch | None:
    return await session.scalar(select(PrintBatch).where(PrintBatch.cycle == cycle, PrintBatch.business_date == day))


async def make_batch(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    cycle: int,
    day: dt.date,
    actor: Actor,
    *,
    processes: int = 1,
    progress: Callable[[str], object] = lambda _m: None,
) -> Made:
    """The cycle's print batch for the bill date `day` (with cycle LETTERS: the day's letters-only batch), once: a
    second call finds it and makes nothing."""
    async with maker() as session:
        found = await existing(session, cycle, day)
        if found is not None:
            return Made(found.id, False, found.bills, found.letters, found.pages)
        docs = [] if cycle == LETTERS else await bills_to_print(session, cycle, day)
        docs += await letters_to_print(session, cycle, day, settings.timezone)
    docs.sort(key=Doc.key)
    pdf = await asyncio.to_thread(render_all, settings, docs, processes, progress) if docs else b""
    bills = sum(1 for d in docs if d.kind == BILL)
    letters = [d.ref_id for d in docs if d.kind == LETTER]
    try:
        async with maker() as session, session.begin():
            batch = PrintBatch(
                cycle=cycle,
                business_date=day,
                bills=bills,
                letters=len(letters),
                pages=sum(d.pages for d in docs) if docs else 0,
                amount_due_cents=sum(d.amount_cents for d in docs if d.kind == BILL),
                pdf=pdf,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_size=len(pdf),
                manifest_csv=manifest(docs),
            )
            session.add(batch)
            await session.flush()
            session.add_all(
                PrintItem(
                    batch_id=batch.id,
                    sequence=sequence,
                    kind=doc.kind,
                    ref_id=doc.ref_id,
                    account_id=doc.account_id,
                    pages=doc.pages,
                    amount_cents=doc.amount_cents,
                )
                for sequence, doc in enumerate(docs, start=1)
            )
            await mark_letters_printed(session, actor, letters, batch.id)
            await audit.record(
                session,
                actor,
                "print_batch.create",
                "print_batch",
                batch.id,
                after={"cycle": cycle, "date": day.isoformat(), "bills": bills, "letters": len(letters)},
            )
            made = Made(batch.id, True, bills, len(letters), batch.pages)
    except IntegrityError:
        # Made at the same moment elsewhere (two workers, a command by hand): theirs stands.
        async with maker() as session:
            found = await existing(session, cycle, day)
        if found is None:
            raise
        return Made(found.id, False, found.bills, found.letters, found.pages)
    return made


# ---- the staff page's reads ---------------------------------------------------------------------------------------


async def recent(session: AsyncSession, limit: int = 60) -> list[PrintBatch]:
    return list(
        await session.scalars(
            select(PrintBatch).order_by(PrintBatch.business_date.desc(), PrintBatch.cycle).limit(limit)
        )
    )


async def with_file(session: AsyncSession, batch_id: int) -> PrintBatch | None:
    from sqlalchemy.orm import undefer

    return await session.scalar(
        select(PrintBatch)
        .where(PrintBatch.id == batch_id)
        .options(undefer(PrintBatch.pdf), undefer(PrintBatch.manifest_csv))
    )


def file_name(batch: PrintBatch, extension: str) -> str:
    which = "letters" if batch.cycle == LETTERS else f"cycle{batch.cycle}"
    return f"print-{which}-{batch.business_date.isoformat()}.{extension}"


def display_number(number: str) -> str:
    return numbers.display(number)
