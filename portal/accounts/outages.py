"""Outages of power and water (docs/features.md, Outages): a report joins the open outage near it or starts one;
staff set the affected area, cause and estimate, send a crew, restore and close it. Residents in the area are told
when it starts, when the estimate changes and when service is back, each once: every message has the idempotency
key `outage:<outage>:<event>:<account>:<channel>`, so a replay queues nothing. A visitor who left a phone or email
with their report is told of each new estimate and of service back the same way, in the language they reported in
(`notify_reporters`, key `outage:<outage>:<event>:report-<report>:<channel>`). The outbox is given by the caller
(`queue_once_many`, portal/mail.py): the domain never imports it (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.settings import DEFAULT_TIMEZONE
from portal.sms import normalize as sms_number

from . import outage_rules as rules
from . import workorders
from .actor import Actor
from .audit import record
from .errors import Conflict
from .messages import Once, QueueOnceMany, notice_channels
from .models import Account, AccountStatus, Customer, MailMessage, Premise, Service, ServiceKind, WorkOrderKind
from .models.outages import Outage, OutageReport
from .outage_words import cause_words

EVENTS = ("started", "estimate", "restored")


def _place(report: OutageReport) -> rules.Place:
    return rules.Place(report.street, report.route, report.lat, report.lon)


async def report(
    session: AsyncSession,
    actor: Actor,
    *,
    utility: str,
    now: dt.datetime,
    source: str,
    address: str | None = None,
    account: Account | None = None,
    premise: Premise | None = None,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    note: str | None = None,
) -> OutageReport:
    """A resident's (their account's premise), a visitor's (a typed address, or the premise it was found as) or a
    CSR's report: it joins the open outage near it (outage_rules.group_with) or starts a new one. `phone` (E.164)
    and `email` are the reporter's contact for this outage's news, `language` the one they reported in."""
    if utility not in rules.UTILITIES:
        raise Conflict(_("Choose water or power."))
    if account is not None:
        premise = await session.get(Premise, account.premise_id)
    typed = (premise.address if premise is not None else (address or "")).strip()
    street = rules.street_of(typed)
    if not street:
        raise Conflict(_("Enter the street address of the outage."))
    place = rules.Place(
        street, premise.route if premise else None, premise.lat if premise else None, premise.lon if premise else None
    )
    open_ = list(
        (await session.scalars(select(Outage).where(Outage.status == "open", Outage.utility == utility))).all()
    )
    reports: dict[int, list[rules.Place]] = {o.id: [] for o in open_}
    if open_:
        for r in await session.scalars(select(OutageReport).where(OutageReport.outage_id.in_(list(reports)))):
            reports[r.outage_id].append(_place(r))
    candidates = [rules.Candidate(o.id, o.utility, o.last_report_at, reports[o.id], o.streets, o.routes) for o in open_]
    joined = rules.group_with(utility, place, now, candidates)
    if joined is None:
        outage = Outage(
            utility=utility,
            status="open",
            started_at=now,
            last_report_at=now,
            streets=[street],
            routes=[],
            polygon=[],
            updates=[],
        )
        session.add(outage)
        await session.flush()
    else:
        outage = next(o for o in open_ if o.id == joined)
        outage.last_report_at = max(outage.last_report_at, now)
    row = OutageReport(
        outage_id=outage.id,
        utility=utility,
        source=source,
        account_id=account.id if account else None,
        premise_id=premise.id if premise else None,
        reported_by_id=actor.user_id,
        address=typed[:160],
        street=street[:120],
        route=place.route,
        lat=place.lat,
        lon=place.lon,
        phone=phone,
        email=(email or "").strip()[:120] or None,
        language=language if language in ("en", "es") else None,
        note=note,
        reported_at=now,
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        actor,
        "outage.report",
        "outage",
        outage.id,
        account_id=row.account_id,
        after={"report_id": row.id, "source": source, "street": street, "new": joined is None},
    )
    return row


@dataclass(frozen=True)
class Contact:
    """What a notice needs of a customer: where and how they want to be told, in which language."""

    id: int
    email: str | None
    phone: str | None
    language: str | None
    notify_email: bool | None
    notify_sms: bool | None


@dataclass(frozen=True)
class Affected:
    account_id: int
    customer: Contact


@dataclass(frozen=True)
class InArea:
    """One affected account as the counts and the map need it: no ORM objects, so a city's worth is cheap."""

    account_id: int
    customer_id: int
    premise_id: int
    lat: float | None
    lon: float | None


async def in_area(session: AsyncSession, outage: Outage) -> list[InArea]:
    """The active accounts whose premise is in the outage's area (streets, routes or polygon) and that have a service
    the outage stops (`outage_rules.service_kinds`: electric for power, water or a fire line for water) not ended
    before the outage started: a water-only customer is not told of a power outage, nor counted in it. Plain columns
    are read and the area is tested in Python (`outage_rules.in_area`), since a street is the normalized form of an
    address; at 10,000 accounts that is tens of milliseconds where ORM rows took most of a second
    (docs/benchmarks.md, Outages)."""
    kinds = [ServiceKind(kind) for kind in rules.service_kinds(outage.utility)]
    served = (
        select(Service.id)
        .where(
            Service.account_id == Account.id,
            Service.kind.in_(kinds),
            or_(Service.ended_on.is_(None), Service.ended_on >= outage.started_at.date()),
        )
        .exists()
    )
    rows = await session.execute(
        select(Account.id, Account.customer_id, Premise.id, Premise.address, Premise.route, Premise.lat, Premise.lon)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Account.status == AccountStatus.ACTIVE, served)
        .order_by(Account.id)
    )
    streets, routes, polygon = list(set(outage.streets)), list(set(outage.routes)), outage.polygon
    street_of: dict[str, str] = {}  # many accounts share an address's street: normalize each address once
    found = []
    for account_id, customer_id, premise_id, address, route, lat, lon in rows:
        street = street_of.get(address)
        if street is None:
            street = street_of[address] = rules.street_of(address)
        if rules.in_area(rules.Place(street, route, lat, lon), streets, routes, polygon):
            found.append(InArea(account_id, customer_id, premise_id, lat, lon))
    return found


async def affected(session: AsyncSession, outage: Outage) -> list[Affected]:
    """`in_area`'s accounts with their customer's contact, for the notices (wording, channels), in account order;
    plain columns again, so that telling 10,000 accounts does not build 30,000 ORM objects first."""
    hits = await in_area(session, outage)
    found: list[Affected] = []
    for start in range(0, len(hits), 500):  # bounded IN lists (SQLite's parameter limit)
        ids = [hit.account_id for hit in hits[start : start + 500]]
        rows = await session.execute(
            select(
                Account.id,
                Customer.id,
                Customer.email,
                Customer.phone,
                Customer.language,
                Customer.notify_email,
                Customer.notify_sms,
            )
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id.in_(ids))
            .order_by(Account.id)
        )
        found.extend(
            Affected(account_id, Contact(customer_id, email, phone, language, notify_email, notify_sms))
            for account_id, customer_id, email, phone, language, notify_email, notify_sms in rows
        )
    return found


def customers_in(hits: Sequence[InArea]) -> int:
    """Customers affected: a customer with two accounts in the area counts once."""
    return len({hit.customer_id for hit in hits})


def channels(customer: Customer | Contact, phone: str | None, *, texts: bool) -> list[str]:
    """The channels an outage notice goes by: the resident's chosen ones (portal/accounts/messages.py), texts only when
    this utility can send them (`texts`: Twilio configured, portal/sms.py). A resident who asked for texts that cannot
    go is emailed instead when we have their address; never a letter: it would arrive after the fact."""
    found = notice_channels(
        email=customer.email,
        phone=phone,
        notify_email=customer.notify_email is not False,
        notify_sms=texts and bool(customer.notify_sms),
    )
    if found == ["letter"] and not texts and customer.notify_sms and customer.email:
        return ["email"]
    return [ch for ch in found if ch != "letter"]


def _tag(outage: Outage, event: str) -> str:
    """The event's part of a key: an estimate is its own event per estimate, so each change is told once."""
    return event if event != "estimate" else f"estimate-{outage.estimated_restore_at:%Y%m%dT%H%M}"


async def _sent(session: AsyncSession, prefix: str) -> set[str]:
    """The keys of the messages already queued under `prefix`."""
    query = select(MailMessage.idempotency_key).where(MailMessage.idempotency_key.like(prefix + "%"))
    return {key for key in (await session.scalars(query)).all() if key}


def wording(outage: Outage, event: str, timezone: str) -> tuple[str, str]:
    """(subject, text) of a notice in the current language."""
    from portal.i18n import format_datetime

    kind = _("water") if outage.utility == "water" else _("power")
    estimate = format_datetime(outage.estimated_restore_at, timezone) if outage.estimated_restore_at else None
    if event == "restored":
        return _("Your %(kind)s service is back", kind=kind), _(
            "The %(kind)s outage in your area is over. Thank you for your patience.", kind=kind
        )
    subject = _("A %(kind)s outage in your area", kind=kind)
    if event == "estimate":
        subject = _("New estimate for the %(kind)s outage in your area", kind=kind)
    text = _("We know about a %(kind)s outage that affects your address and a crew is on it.", kind=kind)
    if estimate:
        text += " " + _("We expect service back by %(time)s.", time=estimate)
    return subject, text


async def notify(
    session: AsyncSession,
    outage: Outage,
    event: str,
    queue_once_many: QueueOnceMany,
    *,
    timezone: str = DEFAULT_TIMEZONE,  # the utility's clock, as residents read times
    targets: Sequence[Affected] | None = None,
    texts: bool = False,  # Twilio configured (sms.configured): without it no text is queued that nobody would send
) -> int:
    """Tell every affected resident about `event` by their chosen channels (email, text; no letter: it would
    arrive after the fact); answers how many messages were newly queued. Each account+outage+event+channel once;
    an estimate is its own event per estimate, so each change is told once."""
    prefix = f"outage:{outage.id}:{_tag(outage, event)}:"
    sent = await _sent(session, prefix)  # most of a replay's keys: skipped here rather than sent to the database
    pending: list[Once] = []
    words: dict[str, tuple[str, str]] = {}
    for item in targets if targets is not None else await affected(session, outage):
        c = item.customer
        phone = sms_number(c.phone)  # E.164, or None: a text never goes to a number typed any which way
        lang = c.language or "en"
        if lang not in words:
            with use_locale(lang):
                words[lang] = wording(outage, event, timezone)
        subject, text = words[lang]
        for channel in channels(c, phone, texts=texts):
            key = f"{prefix}{item.account_id}:{channel}"
            if key in sent:
                continue
            to = c.email if channel == "email" else phone
            body = f"{subject}\n\n{text}" if channel == "sms" else text
            pending.append(
                Once(key, to or "", subject, body, channel, "outage", f"outage:{outage.id}", item.account_id)
            )
    queued = await queue_once_many(session, pending)
    return queued


async def notify_reporters(
    session: AsyncSession,
    outage: Outage,
    event: str,
    queue_once_many: QueueOnceMany,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    texts: bool = False,
    skip: Iterable[str] = (),
) -> int:
    """Tell the outage's reporters who left a contact (a visitor's email or phone, a caller's phone) about `event` ("estimate" or
    "restored"), in the language they reported in: by email when they gave one, by text when they gave a phone and
    texts can go (Twilio configured). Each report+event+channel once, and one address once per event (two reports
    from one person, or a resident already told by `notify`: `skip`, the addresses told)."""
    prefix = f"outage:{outage.id}:{_tag(outage, event)}:"
    sent = await _sent(session, prefix)
    told = {address.lower() for address in skip}
    reports = await session.scalars(
        select(OutageReport)
        .where(
            OutageReport.outage_id == outage.id,
            (OutageReport.email.is_not(None)) | (OutageReport.phone.is_not(None)),
        )
        .order_by(OutageReport.id)
    )
    pending: list[Once] = []
    words: dict[str, tuple[str, str]] = {}
    for row in reports:
        lang = row.language or "en"
        if lang not in words:
            with use_locale(lang):
                words[lang] = wording(outage, event, timezone)
        subject, text = words[lang]
        phone = sms_number(row.phone)
        for channel, to in (("email", row.email), ("sms", phone if texts else None)):
            if not to:
                continue
            key = f"{prefix}report-{row.id}:{channel}"
            if key in sent or to.lower() in told:
                continue
            told.add(to.lower())
            body = f"{subject}\n\n{text}" if channel == "sms" else text
            pending.append(Once(key, to, subject, body, channel, "outage", f"outage:{outage.id}", row.account_id))
    queued = await queue_once_many(session, pending)
    return queued


async def update(
    session: AsyncSession,
    actor: Actor,
    outage: Outage,
    queue_once_many: QueueOnceMany,
    *,
    now: dt.datetime,
    cause: str | None,
    streets: Sequence[str],
    routes: Sequence[str],
    polygon: list[list[float]],
    estimate: dt.datetime | None,
    text: str | None,
    text_es: str | None = None,  # the same update in Spanish (outage_words.update_words)
    timezone: str = DEFAULT_TIMEZONE,  # the utility's clock, as residents read times
    texts: bool = False,
) -> int:
    """Set the area, cause and estimate and post an update; tells the affected residents it started (the newly
    affected only: the others were told) and, when the estimate changed, the new estimate; the reporters who left a
    contact are told each new estimate (the first one too: nobody told them it started). Answers messages queued."""
    if outage.status != "open":
        raise Conflict(_("This outage is no longer open."))
    before = {"streets": outage.streets, "routes": outage.routes, "estimate": outage.estimated_restore_at}
    outage.cause = cause
    # normalized as premises' addresses are ("Elm Street" is "elm st"), or the area would match none of them
    outage.streets = sorted({street for street in map(rules.street_of, streets) if street})
    outage.routes = sorted({r.strip().upper() for r in routes if r.strip()})
    outage.polygon = polygon
    changed = estimate != outage.estimated_restore_at
    outage.estimated_restore_at = estimate
    if text or text_es or changed:
        posted = {"at": now.isoformat(), "text": text or "", "estimate": estimate.isoformat() if estimate else None}
        outage.updates = [*outage.updates, {**posted, "text_es": text_es} if text_es else posted]
    await session.flush()
    await record(
        session,
        actor,
        "outage.update",
        "outage",
        outage.id,
        before=before,
        after={"streets": outage.streets, "routes": outage.routes, "estimate": estimate, "cause": cause},
    )
    targets = await affected(session, outage)
    queued = await notify(session, outage, "started", queue_once_many, timezone=timezone, targets=targets, texts=texts)
    if changed and estimate is not None and before["estimate"] is not None:
        queued += await notify(
            session, outage, "estimate", queue_once_many, timezone=timezone, targets=targets, texts=texts
        )
    if changed and estimate is not None:
        told = _addresses(targets, texts=texts)
        queued += await notify_reporters(
            session, outage, "estimate", queue_once_many, timezone=timezone, texts=texts, skip=told
        )
    return queued


def _addresses(targets: Sequence[Affected], *, texts: bool) -> set[str]:
    """The residents' addresses `notify` writes to, so a reporter who is one of them is not told twice."""
    found = set()
    for item in targets:
        phone = sms_number(item.customer.phone)
        for channel in channels(item.customer, phone, texts=texts):
            found.add((item.customer.email if channel == "email" else phone) or "")
    return found - {""}


async def send_crew(
    session: AsyncSession, actor: Actor, outage: Outage, today: dt.date, *, assignee_id: int | None = None
) -> int:
    """The crew order for the field (priority 1, due today), at the first reported premise, for the technician chosen
    or else the premise's route owner (workorders.create); an order nobody owns waits unassigned on dispatch. The
    technician sees it on their list like any order (portal/field/services.day_for)."""
    if outage.status != "open":
        raise Conflict(_("This outage is no longer open."))
    if outage.work_order_id is not None:
        return outage.work_order_id
    first = await session.scalar(
        select(OutageReport)
        .where(OutageReport.outage_id == outage.id, OutageReport.premise_id.is_not(None))
        .order_by(OutageReport.id)
    )
    premise_id = first.premise_id if first is not None else None
    if premise_id is None:
        hit = (await in_area(session, outage))[:1]
        premise_id = hit[0].premise_id if hit else None
    if premise_id is None:
        raise Conflict(_("No premise in the area to send the crew to; set the area first."))
    order = await workorders.create(
        session,
        actor,
        kind=WorkOrderKind.INVESTIGATE,
        premise_id=premise_id,
        due_on=today,
        priority=1,
        assignee_id=assignee_id,
        instructions=f"{outage.utility.title()} outage #{outage.id}: {cause_words(outage.cause) or 'cause unknown'}"[
            :2000
        ],
    )
    outage.work_order_id = order.id
    await session.flush()
    return order.id


async def restore(
    session: AsyncSession,
    actor: Actor,
    outage: Outage,
    queue_once_many: QueueOnceMany,
    *,
    restored_at: dt.datetime,
    timezone: str = DEFAULT_TIMEZONE,  # the utility's clock, as residents read times
    texts: bool = False,
) -> int:
    """Service is back: the residents told so, once."""
    if outage.status != "open":
        raise Conflict(_("This outage is no longer open."))
    if restored_at < outage.started_at:
        raise Conflict(_("Service cannot be back before the outage started."))
    outage.status, outage.restored_at = "restored", restored_at
    await session.flush()
    await record(session, actor, "outage.restore", "outage", outage.id, after={"restored_at": restored_at})
    targets = await affected(session, outage)
    queued = await notify(session, outage, "restored", queue_once_many, timezone=timezone, targets=targets, texts=texts)
    return queued + await notify_reporters(
        session,
        outage,
        "restored",
        queue_once_many,
        timezone=timezone,
        texts=texts,
        skip=_addresses(targets, texts=texts),
    )


async def close(
    session: AsyncSession,
    actor: Actor,
    outage: Outage,
    *,
    started_at: dt.datetime,
    restored_at: dt.datetime,
    now: dt.datetime,
) -> None:
    """Close with its final times (what the report counts)."""
    if outage.status == "closed":
        raise Conflict(_("This outage is already closed."))
    if restored_at < started_at:
        raise Conflict(_("Service cannot be back before the outage started."))
    if restored_at > now or started_at > now:
        raise Conflict(_("The times cannot be in the future."))
    before = {"started_at": outage.started_at, "restored_at": outage.restored_at}
    outage.status, outage.started_at, outage.restored_at, outage.closed_at = "closed", started_at, restored_at, now
    await session.flush()
    await record(
        session,
        actor,
        "outage.close",
        "outage",
        outage.id,
        before=before,
        after={"started_at": started_at, "restored_at": restored_at},
    )


@dataclass(frozen=True)
class ReportRow:
    outage: Outage
    customers: int
    minutes: int
    reports: int


async def report_rows(session: AsyncSession, now: dt.datetime) -> list[ReportRow]:
    """Every outage, newest first, with customers affected and minutes out (to now while it lasts)."""
    rows = []
    for outage in (await session.scalars(select(Outage).order_by(Outage.started_at.desc()))).all():
        customers = customers_in(await in_area(session, outage))
        count = len((await session.scalars(select(OutageReport.id).where(OutageReport.outage_id == outage.id))).all())
        rows.append(ReportRow(outage, customers, rules.minutes_out(outage.started_at, outage.restored_at, now), count))
    return rows


PUBLIC_POINTS_SECONDS = 60.0
PointsCache = dict[tuple[Any, ...], tuple[float, list[tuple[float, float]]]]


async def public_view(
    session: AsyncSession, cache: PointsCache | None = None
) -> list[tuple[Outage, list[tuple[float, float]]]]:
    """Open outages with the coordinates of their affected premises (for the public map). With a `cache` (the app
    keeps one per process), an area's points are kept a minute: on an outage's day everybody opens /outages, the
    accounts in an area change far more slowly than that, and the page itself says `public, max-age=60`. A change to
    the outage's area, utility or start is a new key, so staff edits show at once."""
    cache = {} if cache is None else cache
    found = []
    now = time.monotonic()
    for key, (at, _points) in list(cache.items()):
        if now - at > PUBLIC_POINTS_SECONDS:
            del cache[key]
    for outage in (await session.scalars(select(Outage).where(Outage.status == "open").order_by(Outage.id))).all():
        key = (
            outage.id,
            outage.utility,
            outage.started_at,
            tuple(outage.streets),
            tuple(outage.routes),
            repr(outage.polygon),
        )
        cached = cache.get(key)
        if cached is None:
            hits = await in_area(session, outage)
            points = [(hit.lat, hit.lon) for hit in hits if hit.lat is not None and hit.lon is not None]
            cached = cache[key] = (now, points)
        found.append((outage, cached[1]))
    return found
