"""The console's outage screen: staff only, a phoned-in report logged, bad input refused with nothing written,
service back tells the affected residents once."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, MailMessage, Outage, OutageReport, Route, WorkOrder
from tests import factories
from tests.http.helpers import post_form, sign_in

SERVED = ("water", "electric")  # told of water and power outages alike


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_residents_and_technicians_may_not_reach_it(client, session, resident, technician) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/outages")).status_code == 403
    response = await post_form(client, "/staff/outages/report", {"utility": "water", "address": "1 Oak St"})
    assert response.status_code == 403 and await _count(session, OutageReport) == 0


async def test_a_technician_may_not_log_a_report(client, session, technician) -> None:
    await sign_in(client, session, technician)
    response = await post_form(client, "/staff/outages/report", {"utility": "water", "address": "1 Oak St"})
    assert response.status_code == 403 and await _count(session, OutageReport) == 0


async def test_a_csr_logs_a_phoned_report_and_marks_service_back(client, session, csr) -> None:
    account = await factories.make_account(session, address="10 Oak St", services=SERVED)
    account_id = account.id
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client, "/staff/outages/report", {"utility": "water", "address": "44 Oak Street", "phone": "555-0101"}
    )
    assert response.status_code in (302, 303)
    outage = await session.scalar(select(Outage))
    assert outage is not None and outage.streets == ["oak st"]
    outage_id = outage.id
    page = await client.get("/staff/outages")
    assert page.status_code == 200 and f"#{outage_id}" in page.text
    response = await post_form(client, f"/staff/outages/{outage_id}/restore")
    assert response.status_code in (302, 303)
    session.expire_all()
    keys = (await session.scalars(select(MailMessage.idempotency_key).where(MailMessage.kind == "outage"))).all()
    assert keys == [f"outage:{outage_id}:restored:{account_id}:email"]
    again = await post_form(client, f"/staff/outages/{outage_id}/restore")
    assert again.status_code == 409
    assert await session.scalar(select(func.count()).where(MailMessage.kind == "outage")) == 1
    assert (await post_form(client, "/staff/outages/999999/restore")).status_code == 404


async def test_bad_input_is_refused_with_nothing_written(client, session, csr) -> None:
    await sign_in(client, session, csr)
    for data in (
        {"utility": "gas", "address": "1 Oak St"},
        {"utility": "water", "address": ""},
        {"utility": "water", "address": "x" * 161},
        {"utility": "water", "address": "12"},
    ):
        response = await post_form(client, "/staff/outages/report", data)
        assert response.status_code in (400, 409), (data, response.status_code)
    assert await _count(session, OutageReport) == 0 and await _count(session, Outage) == 0


# ---- one outage's page: area, cause and estimate, the crew, close ------------------------------------------------

LOCAL = "%Y-%m-%dT%H:%M"
ZONE = ZoneInfo("America/Chicago")  # the test settings' timezone


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(ZONE).strftime(LOCAL)


async def _outage_on_oak(client, session, user) -> tuple[int, int]:
    """An open water outage on Oak St (one active account there); signs `user` in. Answers (outage, account)."""
    account = await factories.make_account(session, address="10 Oak St", services=SERVED)
    account_id = account.id
    await session.commit()
    await sign_in(client, session, user)
    await post_form(client, "/staff/outages/report", {"utility": "water", "address": "10 Oak St"})
    outage = await session.scalar(select(Outage))
    return outage.id, account_id


async def test_a_csr_sets_the_area_and_the_estimate_and_each_change_is_told_once(client, session, csr) -> None:
    outage_id, account_id = await _outage_on_oak(client, session, csr)
    page = await client.get(f"/staff/outages/{outage_id}")
    assert page.status_code == 200 and "Area, cause and estimate" in page.text and "Send the crew" in page.text
    assert "A supervisor closes an outage" in page.text  # a CSR does not get the close form
    listing = await client.get("/staff/outages")
    assert f'href="/staff/outages/{outage_id}"' in listing.text
    estimate = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    data = {
        "streets": "Oak St\nElm Street",
        "routes": "",
        "polygon": "",
        "cause": "main_break",
        "estimate": _local(estimate),
        "text": "Crew on site",
        "text_es": "Cuadrilla en el lugar",
    }
    response = await post_form(client, f"/staff/outages/{outage_id}/area", data)
    assert response.status_code in (302, 303), response.text
    again = await post_form(client, f"/staff/outages/{outage_id}/area", data)  # the same: nothing new to tell
    assert again.status_code in (302, 303)
    later = await post_form(
        client, f"/staff/outages/{outage_id}/area", {**data, "estimate": _local(estimate + dt.timedelta(hours=2))}
    )
    assert later.status_code in (302, 303)
    session.expire_all()
    outage = await session.get(Outage, outage_id)
    assert outage.streets == ["elm st", "oak st"] and outage.cause == "main_break"
    assert outage.updates[-1]["text"] == "Crew on site" and len(outage.updates) == 3
    assert outage.updates[-1]["text_es"] == "Cuadrilla en el lugar"
    page = await client.get(f"/staff/outages/{outage_id}")
    assert "<dd>Water main break</dd>" in page.text and '<option selected value="main_break">' in page.text
    assert "A tree on the lines" not in page.text  # a power outage's cause, not offered for water
    keys = (await session.scalars(select(MailMessage.idempotency_key).where(MailMessage.kind == "outage"))).all()
    assert len(keys) == 2 and all(k.endswith(f":{account_id}:email") for k in keys)  # started, then the estimate
    channels = (await session.scalars(select(MailMessage.channel).where(MailMessage.kind == "outage"))).all()
    assert channels == ["email", "email"]  # no Twilio: no text
    actions = (await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "outage"))).all()
    assert actions.count("outage.update") == 3
    public = await client.get("/outages")
    assert "Crew on site" in public.text and "Elm St" in public.text


async def test_bad_area_input_is_shown_on_the_page_and_nothing_changes(client, session, csr) -> None:
    outage_id, _account_id = await _outage_on_oak(client, session, csr)
    now = dt.datetime.now(dt.UTC)
    for data, message in (
        ({"streets": "", "routes": "", "polygon": ""}, "Give the area"),
        ({"streets": "Oak St", "polygon": "31,-97; 32,-97"}, "at least 3"),
        ({"streets": "Oak St", "polygon": "91,0; 1,1; 2,2"}, "at least 3"),
        ({"streets": "Oak St", "routes": "NOPE"}, "No such route: NOPE"),
        ({"streets": "Oak St", "estimate": _local(now - dt.timedelta(days=1))}, "within 14 days"),
        ({"streets": "Oak St", "estimate": _local(now + dt.timedelta(days=30))}, "within 14 days"),
        ({"streets": "Oak St", "estimate": "9999-12-31T23:59"}, "Enter a date between"),
        ({"streets": "Oak St", "estimate": "tomorrow"}, "datetime"),
        ({"streets": "Oak St", "cause": "Main break"}, "Not a valid choice"),
        ({"streets": "Oak St", "text_es": "x" * 501}, "500"),
        ({"streets": "\n".join(f"{n} St" for n in range(60))}, "At most 50 streets"),
    ):
        response = await post_form(client, f"/staff/outages/{outage_id}/area", data)
        assert response.status_code == 400, (data, response.status_code)
        assert message in response.text and "There is a problem" in response.text, (data, message)
    session.expire_all()
    outage = await session.get(Outage, outage_id)
    assert outage.streets == ["oak st"] and outage.cause is None and outage.updates == []
    assert await session.scalar(select(func.count()).where(MailMessage.kind == "outage")) == 0
    assert (await post_form(client, "/staff/outages/999999/area", {"streets": "Oak St"})).status_code == 404


async def test_the_crew_goes_to_the_route_owner_or_the_chosen_technician(client, session, csr, technician) -> None:
    technician_id = technician.id
    session.add(Route(code="R01", technician_id=technician_id))  # the factories' premises are on route R01
    await session.commit()
    outage_id, _account_id = await _outage_on_oak(client, session, csr)
    bad = await post_form(client, f"/staff/outages/{outage_id}/crew", {"technician_id": "999999"})
    assert bad.status_code == 400 and "Choose a field technician." in bad.text
    assert (await post_form(client, f"/staff/outages/{outage_id}/crew", {"technician_id": "x"})).status_code == 400
    assert await _count(session, WorkOrder) == 0
    response = await post_form(client, f"/staff/outages/{outage_id}/crew", {"technician_id": ""})
    assert response.status_code in (302, 303)
    session.expire_all()
    outage = await session.get(Outage, outage_id)
    order = await session.get(WorkOrder, outage.work_order_id)
    assert order.assigned_to_id == technician_id and order.priority == 1
    twice = await post_form(client, f"/staff/outages/{outage_id}/crew", {"technician_id": ""})
    assert twice.status_code in (302, 303) and await _count(session, WorkOrder) == 1
    # the technician sees it on their list
    tech_client_page = await _field_list(client, session, technician)
    assert f"/field/orders/{order.id}" in tech_client_page


async def _field_list(client, session, technician) -> str:
    client.cookies.clear()
    await session.refresh(technician)
    await sign_in(client, session, technician)
    page = await client.get("/field")
    assert page.status_code == 200
    return page.text


async def test_only_a_supervisor_closes_and_the_times_are_bounded(client, session, csr, supervisor) -> None:
    outage_id, _account_id = await _outage_on_oak(client, session, csr)
    now = dt.datetime.now(dt.UTC)
    good = {"started_at": _local(now - dt.timedelta(hours=2)), "restored_at": _local(now - dt.timedelta(hours=1))}
    assert (await post_form(client, f"/staff/outages/{outage_id}/close", good)).status_code == 403
    client.cookies.clear()
    await session.refresh(supervisor)
    await sign_in(client, session, supervisor)
    page = await client.get(f"/staff/outages/{outage_id}")
    assert "Close with these times" in page.text
    for data, message in (
        ({**good, "restored_at": _local(now - dt.timedelta(hours=3))}, "before the outage started"),
        ({**good, "restored_at": _local(now + dt.timedelta(hours=1))}, "in the future"),
        ({**good, "started_at": _local(now - dt.timedelta(days=400))}, "within the last year"),
        ({**good, "started_at": ""}, "Enter when it started."),
        ({**good, "restored_at": "0001-01-01T00:00"}, "Enter a date between"),
    ):
        response = await post_form(client, f"/staff/outages/{outage_id}/close", data)
        assert response.status_code == 400 and message in response.text, (data, response.status_code)
    session.expire_all()
    assert (await session.get(Outage, outage_id)).status == "open"
    response = await post_form(client, f"/staff/outages/{outage_id}/close", good)
    assert response.status_code in (302, 303)
    session.expire_all()
    outage = await session.get(Outage, outage_id)
    assert outage.status == "closed" and outage.closed_at is not None
    assert outage.restored_at.strftime(LOCAL) == (now - dt.timedelta(hours=1)).strftime(LOCAL)
    again = await post_form(client, f"/staff/outages/{outage_id}/close", good)
    assert again.status_code == 400 and "already closed" in again.text
    closed_area = await post_form(client, f"/staff/outages/{outage_id}/area", {"streets": "Oak St"})
    assert closed_area.status_code == 400 and "no longer open" in closed_area.text
    spanish = await client.get(f"/staff/outages/{outage_id}", headers={"accept-language": "es"})
    assert "Cerrada" in spanish.text and "Todos los cortes" in spanish.text


async def test_a_technician_may_not_use_the_outage_page_or_its_forms(client, session, technician) -> None:
    from portal.accounts import outages
    from portal.accounts.actor import Actor

    report = await outages.report(
        session, Actor.job("test"), utility="water", now=dt.datetime.now(dt.UTC), source="csr", address="1 Oak St"
    )
    outage_id = report.outage_id
    await session.commit()
    await session.refresh(technician)
    await sign_in(client, session, technician)
    assert (await client.get(f"/staff/outages/{outage_id}")).status_code == 403
    for action, data in (("area", {"streets": "Elm St"}), ("crew", {}), ("close", {}), ("restore", {})):
        assert (await post_form(client, f"/staff/outages/{outage_id}/{action}", data)).status_code == 403, action
    session.expire_all()
    outage = await session.get(Outage, outage_id)
    assert outage.streets == ["oak st"] and outage.status == "open" and outage.work_order_id is None


async def test_a_visitors_contact_hears_the_estimate_and_service_back_once_in_spanish(client, session, csr) -> None:
    await factories.make_account(session, address="10 Oak St", services=SERVED)
    await session.commit()
    es = {"accept-language": "es"}
    reported = await post_form(
        client,
        "/outages/report",
        {"utility": "power", "address": "10 Oak St", "contact": "ana@example.com"},
        headers=es,
    )
    assert reported.status_code in (302, 303), reported.text
    outage_id = (await session.scalar(select(Outage))).id
    await sign_in(client, session, csr)
    estimate = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    data = {"streets": "Oak St", "routes": "", "polygon": "", "cause": "", "estimate": _local(estimate), "text": ""}
    for _ in range(2):  # the same estimate twice: told once
        assert (await post_form(client, f"/staff/outages/{outage_id}/area", data)).status_code in (302, 303)
    page = await client.get(f"/staff/outages/{outage_id}")
    assert "ana@example.com" in page.text  # the contact on the reports, not in the note
    assert (await post_form(client, f"/staff/outages/{outage_id}/restore")).status_code in (302, 303)
    assert (await post_form(client, f"/staff/outages/{outage_id}/restore")).status_code == 409
    session.expire_all()
    told = (
        await session.execute(
            select(MailMessage.subject, MailMessage.channel)
            .where(MailMessage.to_addr == "ana@example.com")
            .order_by(MailMessage.id)
        )
    ).all()
    assert [channel for _s, channel in told] == ["email", "email"]
    assert told[0][0].startswith("Nueva hora estimada") and told[1][0].startswith("Su servicio de")
