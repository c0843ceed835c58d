"""Outages on a real database: reports group, the area decides who is told, each notice once, the crew order."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import mail
from portal.accounts import outages
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import AuditEvent, MailMessage, Outage, OutageReport, Route, WorkOrder
from tests import factories

SERVED = ("water", "electric")  # told of water and power outages alike

JOB = Actor.job("test")
T0 = dt.datetime(2026, 12, 4, 14, 0, tzinfo=dt.UTC)


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_reports_on_one_street_group_and_another_utility_or_street_does_not(session) -> None:
    a = await factories.make_account(session, address="101 Oak St", services=SERVED)
    b = await factories.make_account(session, address="205 Oak Street", services=SERVED)
    first = await outages.report(session, JOB, utility="water", now=T0, source="resident", account=a)
    second = await outages.report(
        session, JOB, utility="water", now=T0 + dt.timedelta(minutes=20), source="resident", account=b
    )
    typed = await outages.report(session, JOB, utility="water", now=T0, source="public", address="9 Elmwood Rd")
    power = await outages.report(session, JOB, utility="power", now=T0, source="csr", address="300 Oak St")
    assert first.outage_id == second.outage_id
    assert len({first.outage_id, typed.outage_id, power.outage_id}) == 3
    assert typed.premise_id is None and typed.street == "elmwood rd"
    assert await count(session, Outage) == 3 and await count(session, OutageReport) == 4
    with pytest.raises(Conflict):
        await outages.report(session, JOB, utility="gas", now=T0, source="public", address="1 Oak St")
    with pytest.raises(Conflict):
        await outages.report(session, JOB, utility="water", now=T0, source="public", address="  12 ")


async def test_area_notices_go_once_each_and_the_estimate_change_is_told(session) -> None:
    inside = [await factories.make_account(session, address=f"{n} Oak St", services=SERVED) for n in (1, 2, 3)]
    outside = await factories.make_account(session, address="7 Pine St", services=SERVED)
    outside_premise = await session.get(factories.Premise, outside.premise_id)
    outside_premise.route = "R77"
    report = await outages.report(session, JOB, utility="water", now=T0, source="resident", account=inside[0])
    outage = await session.get(Outage, report.outage_id)
    kw = dict(now=T0, cause="Main break", streets=["Oak St"], routes=[], polygon=[], text="Crew on site")
    assert (
        await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=4), **kw) == 3
    )
    # the same again: nobody told twice
    assert (
        await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=4), **kw) == 0
    )
    # a new estimate: told once more; the area grows by a route: only the newly affected hear it started
    kw["routes"] = ["R77"]
    assert (
        await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=6), **kw) == 5
    )
    order_id = await outages.send_crew(session, JOB, outage, T0.date())
    order = await session.get(WorkOrder, order_id)
    assert order.premise_id == inside[0].premise_id and order.priority == 1
    assert await outages.send_crew(session, JOB, outage, T0.date()) == order_id
    assert (
        await outages.restore(session, JOB, outage, mail.queue_once_many, restored_at=T0 + dt.timedelta(hours=5)) == 4
    )
    with pytest.raises(Conflict):
        await outages.restore(session, JOB, outage, mail.queue_once_many, restored_at=T0 + dt.timedelta(hours=5))
    kinds = (await session.scalars(select(MailMessage.idempotency_key).order_by(MailMessage.id))).all()
    assert len(kinds) == len(set(kinds)) == 12
    assert all(k.startswith(f"outage:{outage.id}:") and k.endswith(":email") for k in kinds)
    assert any(f":{outside.id}:" in k for k in kinds)
    rows = await outages.report_rows(session, T0 + dt.timedelta(hours=8))
    assert [(r.customers, r.minutes, r.reports) for r in rows] == [(4, 300, 1)]


async def test_close_with_times_and_bad_times_are_refused(session) -> None:
    account = await factories.make_account(session, address="1 Oak St", services=SERVED)
    report = await outages.report(session, JOB, utility="power", now=T0, source="csr", account=account)
    outage = await session.get(Outage, report.outage_id)
    with pytest.raises(Conflict):
        await outages.close(session, JOB, outage, started_at=T0, restored_at=T0 - dt.timedelta(minutes=1), now=T0)
    assert outage.status == "open"
    later = T0 + dt.timedelta(hours=2)
    for start, back in ((T0, T0 + dt.timedelta(hours=3)), (T0 + dt.timedelta(hours=3), T0 + dt.timedelta(hours=4))):
        with pytest.raises(Conflict):  # not in the future (restore, or start and restore)
            await outages.close(session, JOB, outage, started_at=start, restored_at=back, now=later)
    assert outage.status == "open"
    await outages.close(
        session,
        JOB,
        outage,
        started_at=T0 - dt.timedelta(minutes=30),
        restored_at=T0 + dt.timedelta(hours=1),
        now=later,
    )
    assert outage.status == "closed"
    rows = await outages.report_rows(session, T0 + dt.timedelta(days=1))
    assert rows[0].minutes == 90
    actions = (await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "outage"))).all()
    assert sorted(actions) == ["outage.close", "outage.report"]


async def test_a_text_goes_to_the_number_in_e164_and_never_to_one_that_is_no_number(session) -> None:
    typed = await factories.make_account(session, address="11 Oak St", services=SERVED)
    wrong = await factories.make_account(session, address="13 Oak St", services=SERVED)
    for account, phone in ((typed, "(254) 555-0142"), (wrong, "555")):
        customer = await session.get(factories.Customer, account.customer_id)
        customer.phone, customer.notify_sms, customer.notify_email = phone, True, False
    report = await outages.report(session, JOB, utility="water", now=T0, source="resident", account=typed)
    outage = await session.get(Outage, report.outage_id)
    kw = dict(now=T0, cause="Main break", streets=["Oak St"], routes=[], polygon=[], text="Crew on site")
    await outages.update(
        session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=4), texts=True, **kw
    )
    sent = (await session.execute(select(MailMessage.account_id, MailMessage.channel, MailMessage.to_addr))).all()
    assert (typed.id, "sms", "+12545550142") in sent
    assert all(
        to != "555" for _a, _c, to in sent
    )  # no valid number: no text (outage notices are not mailed as letters)


async def test_without_twilio_no_text_is_queued_and_a_texts_only_resident_is_emailed(session) -> None:
    texts_only = await factories.make_account(session, address="11 Oak St", services=SERVED)
    no_email = await factories.make_account(session, address="13 Oak St", services=SERVED)
    for account, email in ((texts_only, "t@example.com"), (no_email, None)):
        customer = await session.get(factories.Customer, account.customer_id)
        customer.phone, customer.notify_sms, customer.notify_email, customer.email = (
            "(254) 555-0142",
            True,
            False,
            email,
        )
    report = await outages.report(session, JOB, utility="water", now=T0, source="resident", account=texts_only)
    outage = await session.get(Outage, report.outage_id)
    kw = dict(now=T0, cause=None, streets=["Oak St"], routes=[], polygon=[], text=None, estimate=None)
    assert await outages.update(session, JOB, outage, mail.queue_once_many, **kw) == 1
    sent = (await session.execute(select(MailMessage.account_id, MailMessage.channel, MailMessage.to_addr))).all()
    assert sent == [(texts_only.id, "email", "t@example.com")]  # no text, no letter; no email address: nothing
    # Twilio configured later: the same event goes by text once, the email is not sent again
    assert await outages.update(session, JOB, outage, mail.queue_once_many, texts=True, **kw) == 2
    channels = sorted((await session.scalars(select(MailMessage.channel))).all())
    assert channels == ["email", "sms", "sms"]


async def test_the_crew_order_lands_on_a_technicians_list(session) -> None:
    from portal.field import services as field

    owner = await factories.make_user(session, role=factories.Role.FIELD, email="owner@example.com")
    chosen = await factories.make_user(session, role=factories.Role.FIELD, email="chosen@example.com")
    account = await factories.make_account(session, address="1 Oak St", services=SERVED)
    session.add(Route(code="R01", technician_id=owner.id))  # the factories' premises are on route R01
    await session.flush()
    first = await outages.report(session, JOB, utility="power", now=T0, source="csr", account=account)
    outage = await session.get(Outage, first.outage_id)
    order_id = await outages.send_crew(session, JOB, outage, T0.date())
    assert [s.order.id for s in (await field.day_for(session, owner.id, T0.date(), T0)).to_do] == [order_id]
    other = await factories.make_account(session, address="1 Elm St", services=SERVED)
    second = await outages.report(session, JOB, utility="water", now=T0, source="csr", account=other)
    outage2 = await session.get(Outage, second.outage_id)
    order2 = await outages.send_crew(session, JOB, outage2, T0.date(), assignee_id=chosen.id)
    assert [s.order.id for s in (await field.day_for(session, chosen.id, T0.date(), T0)).to_do] == [order2]
    await outages.restore(session, JOB, outage2, mail.queue_once_many, restored_at=T0)
    outage.work_order_id = None
    outage.status = "restored"
    with pytest.raises(Conflict):
        await outages.send_crew(session, JOB, outage, T0.date())


async def test_a_visitors_report_found_as_a_premise_keeps_its_route_and_place(session) -> None:
    account = await factories.make_account(session, address="12 Oak St", services=SERVED)
    premise = await session.get(factories.Premise, account.premise_id)
    premise.route, premise.lat, premise.lon = "R9", 31.1, -97.3
    row = await outages.report(session, JOB, utility="power", now=T0, source="public", premise=premise)
    assert (row.premise_id, row.route, row.lat, row.account_id, row.street) == (premise.id, "R9", 31.1, None, "oak st")


async def test_a_visitors_contact_is_told_each_new_estimate_and_service_back_once_in_their_language(session) -> None:
    await factories.make_account(
        session, address="21 Birch St", services=SERVED
    )  # a resident of the area, with their own email
    resident = await session.scalar(select(factories.Customer).order_by(factories.Customer.id.desc()))
    es = await outages.report(
        session,
        JOB,
        utility="power",
        now=T0,
        source="public",
        address="9 Birch St",
        email="ana@example.com",
        language="es",
    )
    texted = await outages.report(
        session,
        JOB,
        utility="power",
        now=T0,
        source="public",
        address="11 Birch St",
        phone="+12545550142",
        language="en",
    )
    same_as_resident = await outages.report(
        session,
        JOB,
        utility="power",
        now=T0,
        source="public",
        address="13 Birch St",
        email=resident.email,
    )
    assert es.email == "ana@example.com" and es.language == "es" and es.note is None
    assert es.outage_id == texted.outage_id == same_as_resident.outage_id
    outage = await session.get(Outage, es.outage_id)
    kw = dict(now=T0, cause=None, streets=["Birch St"], routes=[], polygon=[], text=None)

    async def sent_to(to: str) -> list[MailMessage]:
        return list((await session.scalars(select(MailMessage).where(MailMessage.to_addr == to))).all())

    # no estimate yet: the visitors are not told (they know it is out); the resident hears it started
    await outages.update(session, JOB, outage, mail.queue_once_many, estimate=None, **kw)
    assert await sent_to("ana@example.com") == [] and len(await sent_to(resident.email)) == 1
    # the first estimate: the visitor is told in Spanish; the number only by text once Twilio is configured
    await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=3), **kw)
    [first] = await sent_to("ana@example.com")
    assert first.subject.startswith("Nueva hora estimada para el corte de") and first.channel == "email"
    assert first.idempotency_key == f"outage:{outage.id}:estimate-20261204T1700:report-{es.id}:email"
    assert await sent_to("+12545550142") == []
    # the same estimate again: nothing
    assert (
        await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=3), **kw) == 0
    )
    # a new estimate, Twilio now configured: the visitor emailed once more, the number texted once
    await outages.update(
        session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=5), texts=True, **kw
    )
    assert len(await sent_to("ana@example.com")) == 2
    [text] = await sent_to("+12545550142")
    assert text.channel == "sms" and "New estimate for the power outage" in text.text_body
    # the visitor whose email is a resident's of the area is told as the resident, never twice
    assert not any("report-" in m.idempotency_key for m in await sent_to(resident.email))
    # service back: once, in Spanish
    await outages.restore(session, JOB, outage, mail.queue_once_many, restored_at=T0 + dt.timedelta(hours=4))
    back = [m for m in await sent_to("ana@example.com") if ":restored:" in m.idempotency_key]
    assert len(back) == 1 and back[0].subject.startswith("Su servicio de ")
    # Twilio configured since: the number hears it once, the others are not told again
    again = dict(texts=True, skip=[resident.email])
    assert await outages.notify_reporters(session, outage, "restored", mail.queue_once_many, **again) == 1
    assert await outages.notify_reporters(session, outage, "restored", mail.queue_once_many, **again) == 0
    assert [m.channel for m in await sent_to("+12545550142")] == ["sms", "sms"]


async def test_an_outage_reaches_only_the_accounts_with_a_service_of_its_utility(session) -> None:
    """A power outage is not told to water-only customers and a water outage not to electric- or gas-only ones; a
    service that ended before the outage does not count; the staff report counts the same customers."""
    power_only = await factories.make_account(session, address="1 Oak St", services=("electric",))
    water_only = await factories.make_account(session, address="2 Oak St", services=("water", "sewer"))
    both = await factories.make_account(session, address="3 Oak St", services=("water", "electric"))
    gas_only = await factories.make_account(session, address="4 Oak St", services=("gas",))
    ended = await factories.make_account(session, address="5 Oak St")
    session.add(
        factories.Service(
            account_id=ended.id,
            kind="water",
            rate_code="W1",
            started_on=dt.date(2020, 1, 15),
            ended_on=dt.date(2026, 11, 1),
        )
    )
    await session.flush()
    area = dict(now=T0, cause="Main break", streets=["Oak St"], routes=[], polygon=[], text="Crew on site")
    told = {}
    for utility, account in (("power", power_only), ("water", water_only)):
        report = await outages.report(session, JOB, utility=utility, now=T0, source="resident", account=account)
        outage = await session.get(Outage, report.outage_id)
        told[utility] = {a.account_id for a in await outages.affected(session, outage)}
        await outages.update(session, JOB, outage, mail.queue_once_many, estimate=T0 + dt.timedelta(hours=4), **area)
    assert told["power"] == {power_only.id, both.id}
    assert told["water"] == {water_only.id, both.id}
    keys = (await session.scalars(select(MailMessage.idempotency_key))).all()
    assert gas_only.id not in {int(k.split(":")[3]) for k in keys} and len(keys) == 4
    rows = await outages.report_rows(session, T0 + dt.timedelta(hours=1))
    assert sorted(r.customers for r in rows) == [2, 2]


async def test_the_public_map_keeps_an_areas_points_a_minute_and_a_new_area_is_seen_at_once(
    session, monkeypatch
) -> None:
    """/outages is what everybody opens on an outage's day: the affected premises' points are computed once a
    minute per area (the page's own max-age), and a staff change to the area is a new key, shown at once."""
    for n in (1, 2):
        account = await factories.make_account(session, address=f"{n} Oak St", services=SERVED)
        premise = await session.get(factories.Premise, account.premise_id)
        premise.lat, premise.lon = 31.0 + n / 100, -97.0
    pine = await factories.make_account(session, address="7 Pine St", services=SERVED)
    pine_premise = await session.get(factories.Premise, pine.premise_id)
    pine_premise.lat, pine_premise.lon = 31.5, -97.5
    report = await outages.report(session, JOB, utility="water", now=T0, source="resident", account=pine)
    outage = await session.get(Outage, report.outage_id)
    outage.streets = ["oak st"]
    await session.flush()
    assert {a.account_id for a in await outages.affected(session, outage)} == {
        hit.account_id for hit in await outages.in_area(session, outage)
    }
    cache: outages.PointsCache = {}
    [(_o, points)] = await outages.public_view(session, cache)
    assert sorted(points) == [(31.01, -97.0), (31.02, -97.0)]
    # a third Oak St premise within the minute: the cached points stand (the page may be a minute old anyway)
    third = await factories.make_account(session, address="3 Oak St", services=SERVED)
    third_premise = await session.get(factories.Premise, third.premise_id)
    third_premise.lat, third_premise.lon = 31.03, -97.0
    await session.flush()
    assert len((await outages.public_view(session, cache))[0][1]) == 2
    # the minute over: counted again
    monkeypatch.setattr(outages, "PUBLIC_POINTS_SECONDS", -1.0)
    assert len((await outages.public_view(session, cache))[0][1]) == 3
    monkeypatch.setattr(outages, "PUBLIC_POINTS_SECONDS", 60.0)
    # staff widen the area: a new key, so Pine St shows without waiting
    outage.streets = ["oak st", "pine st"]
    await session.flush()
    assert len((await outages.public_view(session, cache))[0][1]) == 4
