"""Paying a bill in Chromium at a phone viewport, as a guest, with the stand-in's Stripe.js card element: the
receipt shows a confirmation number, the ledger gets one entry although the return page and Stripe's webhook both
report the payment, and a declined card says so and posts nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerEntry, LedgerKind, OnlinePayment, StripeEvent, WorkOrderKind, WorkOrderStatus
from portal.demo import stripe_stand_in as stand_in
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, serve
from tests.stripe_harness import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

JOB = Actor.job("test")


@pytest.fixture
def live_server(database_url: str, stripe_clean: str) -> Iterator[LiveServer]:
    """The live app pointed at the stand-in, and the stand-in's webhooks pointed at the live app."""
    with serve(
        database_url,
        stripe_api_key=SECRET_KEY,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_api_base=stripe_clean,
        stripe_js_url=f"{stripe_clean}/js.stripe.com/v3/",
        stripe_webhook_secret=WEBHOOK_SECRET,
    ) as server:
        stand_in.register_webhook(stripe_clean, f"{server.url}/payments/webhook", WEBHOOK_SECRET)
        yield server


async def overdue_account(session):
    account = await factories.make_account(session, zip_code="76501")
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=8_450,
        source_key=f"charge:{account.id}",
        effective_on=dt.date.today() - dt.timedelta(days=40),
    )
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    await session.commit()
    return account, order


async def checkout_as_guest(page, account, check_accessibility: bool = False, bank: bool = False) -> None:
    await page.goto("/pay")
    if check_accessibility:
        await assert_accessible(page)
    await page.get_by_label("Account number").fill(account.number)
    await page.get_by_label("Service ZIP code").fill("76501")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_text("$84.50").first).to_be_visible()
    await expect(page.get_by_label("Amount to pay")).to_have_value("84.50")
    if check_accessibility:
        await assert_accessible(page)
    await page.get_by_label("Email for the receipt").fill("payer@example.com")
    if bank:
        await page.get_by_label("Bank account (checking or savings)").check()
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(r"/payments/[A-Z0-9]{8}/checkout$"))


async def type_card(page, number: str) -> None:
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiry month (MM)").fill("12")
    await page.get_by_label("Expiry year (YY)").fill("30")
    await page.get_by_label("Security code (CVC)").fill("123")
    await page.get_by_label("Billing ZIP code").fill("76501")


async def test_a_guest_pays_a_bill_by_card_on_a_phone(page, session, live_server) -> None:
    account, order = await overdue_account(session)
    await checkout_as_guest(page, account, check_accessibility=True)
    await expect(page.get_by_label("Card number")).to_be_visible()
    await assert_accessible(page)
    await type_card(page, "4242424242424242")
    await page.get_by_role("button", name="Pay $84.50").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    confirmation = re.search(r"/payments/([A-Z0-9]{8})$", page.url).group(1)
    await expect(page.get_by_text(confirmation)).to_be_visible()
    await assert_accessible(page)
    await session.commit()
    payment = await session.scalar(select(OnlinePayment).where(OnlinePayment.confirmation == confirmation))
    assert payment.status == "succeeded"
    # Stripe's webhook arrives about a second later and finds the payment already posted.
    for _ in range(50):
        await session.commit()
        if await session.scalar(
            select(func.count()).select_from(StripeEvent).where(StripeEvent.object_id == payment.intent_id)
        ):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    await session.commit()
    assert (
        await session.scalar(
            select(func.count()).select_from(StripeEvent).where(StripeEvent.object_id == payment.intent_id)
        )
        >= 1
    )
    assert (
        await session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key == payment.intent_id)
        )
        == 1
    )
    assert await ledger.balance(session, account.id) == 0
    await session.refresh(order)
    assert order.status == WorkOrderStatus.CANCELLED


async def test_a_declined_card_says_so_and_posts_nothing(page, session, live_server) -> None:
    account, _order = await overdue_account(session)
    await checkout_as_guest(page, account)
    await type_card(page, "4000000000000341")
    await page.get_by_role("button", name="Pay $84.50").click()
    await expect(page.get_by_role("alert")).to_have_text("The payment did not go through: Your card was declined.")
    await expect(page.get_by_role("button", name="Pay $84.50")).to_be_enabled()
    await session.commit()
    assert await ledger.balance(session, account.id) == 8_450


async def test_a_guest_pays_from_a_bank_account_which_settles_later(page, session, live_server) -> None:
    account, _order = await overdue_account(session)
    await checkout_as_guest(page, account, bank=True)
    await page.get_by_label("Name on the bank account").fill("María Lopez")
    await page.get_by_label("Routing number").fill("110000000")
    await page.get_by_label("Bank account number").fill("000123456789")
    await page.get_by_role("button", name="Pay $84.50").click()
    await expect(page.get_by_role("alert")).to_have_text("Tick the box to authorize the debit.")
    await page.get_by_label("I authorize this debit").check()
    await assert_accessible(page)
    await page.get_by_role("button", name="Pay $84.50").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Payment on its way")
    await session.commit()
    assert await ledger.balance(session, account.id) == 8_450  # processing: not posted yet
    for _ in range(40):  # the stand-in settles ACH half a second later and sends payment_intent.succeeded
        await asyncio.sleep(0.25)
        await session.commit()
        if await ledger.balance(session, account.id) == 0:
            break
    assert await ledger.balance(session, account.id) == 0
    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
