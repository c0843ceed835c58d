"""Premises and meters through the console and the technician's order page: a CSR adds a premise for new
construction, releases a meter (the install order), the technician sets it through the order page's form, service
starts there through the usual start screen; a change order and its field form; a meter test that over-registers
proposes a credit through the adjustment flow (waiting for a supervisor above the limit). Roles, bad input (a page
with the error, nothing written, never a 500)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from portal.accounts.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    Bill,
    BillLine,
    Meter,
    MeterSet,
    MeterTest,
    Premise,
    Route,
    ServiceKind,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from tests import factories
from tests.http.helpers import csrf, local_today, post_form, sign_in

NEW = {
    "address": "88 Cedar Bend",
    "city": "Riverton",
    "state": "tx",
    "zip": "76501",
    "route": "R01",
    "cycle": "2",
    "services": ["water", "stormwater"],
    "solid_waste_carts": "0",
    "stormwater_erus": "1",
}


async def _count(session, model, *where) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _route(session) -> None:
    session.add(Route(code="R01"))
    await session.commit()


async def _post_multi(client, url: str, data: dict):
    token = await csrf(client)
    return await client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


async def test_new_construction_through_the_console_and_the_field(client, session, csr, technician) -> None:
    await _route(session)
    await sign_in(client, session, csr)
    home = await client.get("/staff")
    assert "/staff/premises/new" in home.text
    assert (await client.get("/staff/premises/new")).status_code == 200
    created = await _post_multi(client, "/staff/premises/", NEW)
    assert created.status_code in (302, 303), created.text
    premise = await session.scalar(select(Premise).where(Premise.address == "88 Cedar Bend"))
    assert premise.services_available == ["water", "stormwater"] and premise.state == "TX" and premise.cycle == 2
    page = await client.get(created.headers["location"])
    assert page.status_code == 200 and "Release a meter" in page.text

    today = local_today()
    released = await post_form(
        client,
        f"/staff/premises/{premise.id}/meter",
        {"release-serial": "cb-0001", "release-size": "3/4", "release-due_on": today.isoformat()},
    )
    assert released.status_code in (302, 303), released.text
    meter = await session.scalar(select(Meter).where(Meter.serial == "CB-0001"))
    install = await session.scalar(select(WorkOrder).where(WorkOrder.meter_id == meter.id))
    assert install.kind == WorkOrderKind.METER_INSTALL
    start = await client.get(f"/staff/start/{premise.id}")
    assert start.status_code == 200 and f"/staff/premises/{premise.id}" in start.text

    install.assigned_to_id = technician.id
    await session.commit()
    client.cookies.clear()
    await sign_in(client, session, technician)
    order_page = await client.get(f"/field/orders/{install.id}")
    assert order_page.status_code == 200 and "Set the meter" in order_page.text and "CB-0001" in order_page.text
    form = {"mutation_id": str(uuid.uuid4()), "serial": "CB-0001", "value": "7"}
    done = await _post_multi(client, f"/field/orders/{install.id}/actions/meter_installed", form)
    assert done.status_code == 303, done.text
    again = await _post_multi(client, f"/field/orders/{install.id}/actions/meter_installed", form)
    assert again.status_code == 303  # the same form twice is one action
    assert await _count(session, MeterSet) == 1
    await session.refresh(meter)
    assert meter.installed_on == today


async def test_bad_premise_input_shows_the_form_again_and_writes_nothing(client, session, csr) -> None:
    await _route(session)
    await sign_in(client, session, csr)
    before = await _count(session, Premise)
    for bad in (
        {**NEW, "address": "Cedar Bend"},
        {**NEW, "zip": "7650"},
        {**NEW, "state": "Texas"},
        {**NEW, "route": "R99"},
        {**NEW, "cycle": "99"},
        {**NEW, "services": ["sewer"]},
        {**NEW, "cycle": "1e308"},
    ):
        response = await _post_multi(client, "/staff/premises/", bad)
        assert response.status_code == 400, (bad, response.status_code)
        assert "There is a problem" in response.text
    assert await _count(session, Premise) == before
    ok = await _post_multi(client, "/staff/premises/", NEW)
    assert ok.status_code in (302, 303)
    twice = await _post_multi(client, "/staff/premises/", {**NEW, "address": "88 CEDAR BEND"})
    assert twice.status_code == 400 and "already on record" in twice.text


async def test_only_staff_reach_the_premise_screens(client, session, technician, resident) -> None:
    premise_id = resident.account.premise_id
    for user in (technician, resident.user):
        client.cookies.clear()
        await sign_in(client, session, user)
        assert (await client.get("/staff/premises/new")).status_code in (302, 303, 403)
        assert (await client.get(f"/staff/premises/{premise_id}")).status_code in (302, 303, 403)
        refused = await post_form(client, f"/staff/premises/{premise_id}/change", {"change-reason": "x"})
        assert refused.status_code in (302, 303, 403)
    assert await _count(session, WorkOrder) == 0


async def test_a_change_order_and_its_field_form(client, session, csr, technician) -> None:
    account = await factories.make_account(session)
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/premises/{account.premise_id}/change"
    empty = await post_form(client, url, {"change-reason": "", "change-due_on": local_today().isoformat()})
    assert empty.status_code == 400 and await _count(session, WorkOrder) == 0
    made = await post_form(client, url, {"change-reason": "Dial fogged", "change-due_on": local_today().isoformat()})
    assert made.status_code in (302, 303)
    order = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.METER_CHANGE))
    order.assigned_to_id = technician.id
    await session.commit()
    assert (await client.get("/staff/premises/999999")).status_code == 404

    client.cookies.clear()
    await sign_in(client, session, technician)
    page = await client.get(f"/field/orders/{order.id}")
    assert page.status_code == 200 and "Change the meter" in page.text
    bad = {"mutation_id": str(uuid.uuid4()), "value": "100", "new_serial": "??", "new_size": "5/8", "new_value": "0"}
    refused = await _post_multi(client, f"/field/orders/{order.id}/actions/meter_changed", bad)
    assert refused.status_code == 409 and "serial" in refused.text
    assert await _count(session, MeterSet) == 0
    good = {**bad, "mutation_id": str(uuid.uuid4()), "new_serial": "NEW-77"}
    done = await _post_multi(client, f"/field/orders/{order.id}/actions/meter_changed", good)
    assert done.status_code == 303, done.text
    assert await _count(session, MeterSet) == 1
    assert await _count(session, Meter, Meter.serial == "NEW-77", Meter.premise_id == account.premise_id) == 1


async def _billed_account(session):
    account = await factories.make_account(session)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    for months_back, cents in ((2, 400_000), (1, 500_000)):
        end = local_today() - dt.timedelta(days=30 * months_back)
        bill = Bill(
            account_id=account.id,
            period_start=end - dt.timedelta(days=29),
            period_end=end,
            bill_date=end,
            due_date=end + dt.timedelta(days=21),
            total_cents=cents + 1_000,
            usage=10_000,
        )
        session.add(bill)
        await session.flush()
        session.add_all(
            [
                BillLine(
                    bill_id=bill.id, service_kind=ServiceKind.WATER, description="Water", unit="gal", amount_cents=cents
                ),
                BillLine(bill_id=bill.id, service_kind=ServiceKind.WATER, description="Base", amount_cents=1_000),
            ]
        )
    await session.commit()
    return account, meter


async def test_an_over_registering_test_proposes_a_credit_for_a_supervisor(client, session, csr) -> None:
    account, meter = await _billed_account(session)
    await sign_in(client, session, csr)
    url = f"/staff/premises/{account.premise_id}/tests"
    day = local_today().isoformat()
    for bad in (
        {"test-tested_on": day, "test-low": "abc", "test-mid": "100", "test-high": "100"},
        {"test-tested_on": day, "test-low": "NaN", "test-mid": "100", "test-high": "100"},
        {"test-tested_on": day, "test-low": "250", "test-mid": "100", "test-high": "100"},
        {"test-tested_on": "2999-01-01", "test-low": "100", "test-mid": "100", "test-high": "100"},
        {
            "test-tested_on": (local_today() + dt.timedelta(days=3)).isoformat(),
            "test-low": "100",
            "test-mid": "100",
            "test-high": "100",
        },
    ):
        response = await post_form(client, url, bad)
        assert response.status_code == 400, (bad, response.status_code)
    assert await _count(session, MeterTest) == 0
    failed = await post_form(
        client, url, {"test-tested_on": day, "test-low": "103", "test-mid": "104", "test-high": "105%"}
    )
    assert failed.status_code in (302, 303)
    test = await session.scalar(select(MeterTest))
    assert not test.passed and test.over_registering and test.adjustment_id is not None
    adjustment = await session.get(Adjustment, test.adjustment_id)
    # 400,000 + 500,000 cents of usage charges (the base charge is not usage) x 40 / 1,040 = 34,615.38 -> $346.15,
    # over the $250.00 limit: it waits for a supervisor, and nothing is posted yet
    assert adjustment.kind == AdjustmentKind.METER_ACCURACY and adjustment.amount_cents == -34_615
    assert adjustment.status == AdjustmentStatus.PENDING_APPROVAL and adjustment.ledger_entry_id is None
    assert adjustment.account_id == account.id
    approvals = await client.get("/staff/approvals")
    assert approvals.status_code in (200, 403)
    page = await client.get(f"/staff/premises/{account.premise_id}")
    assert "over-registers" in page.text


async def test_a_passing_test_closes_the_window_so_a_later_failure_today_proposes_nothing(client, session, csr) -> None:
    account, meter = await _billed_account(session)
    test_order = await factories.make_order(session, account, kind=WorkOrderKind.METER_TEST)
    test_order.meter_id = meter.id
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/premises/{account.premise_id}/tests"
    day = local_today().isoformat()
    passed = await post_form(
        client, url, {"test-tested_on": day, "test-low": "99.0", "test-mid": "100.4", "test-high": "100"}
    )
    assert passed.status_code in (302, 303)
    failed = await post_form(
        client, url, {"test-tested_on": day, "test-low": "103", "test-mid": "104", "test-high": "105"}
    )
    assert failed.status_code in (302, 303)
    assert await _count(session, MeterTest) == 2
    assert await _count(session, Adjustment) == 0
    await session.refresh(test_order)
    first = await session.scalar(select(MeterTest).order_by(MeterTest.id))
    assert test_order.status == WorkOrderStatus.COMPLETED and test_order.result["meter_test_id"] == first.id
    assert first.work_order_id == test_order.id
