"""Payment routes through the test client with CSRF on: guest look-up and its limits, pay, checkout, return page,
receipt, webhook (signature, replays, order, racing the return page), declines, ownership."""

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerEntry, LedgerKind, MailMessage, OnlinePayment, StripeEvent
from portal.settings import Settings
from tests.http.helpers import post_form, sign_in
from tests.stripe_harness import confirm_card, event_for, signed, stripe_settings_for

JOB = Actor.job("test")


@pytest.fixture
def settings(database_url: str, stripe_clean: str) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_url="http://portal.test",
        demo=False,
        utility_name="City of Riverton Utilities",
    )
    return stripe_settings_for(base, stripe_clean)


async def owe(session, account, cents: int = 8_450) -> None:
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"charge:{account.id}:{cents}",
        effective_on=dt.date.today() - dt.timedelta(days=40),
    )
    await session.commit()


async def guest_in(client, account, zip_code: str = "76501"):
    return await post_form(client, "/pay/guest", {"account_number": account.number, "zip_code": zip_code})


async def start_card_payment(client, account, amount: str = "84.50", email: str = "payer@example.com") -> str:
    response = await post_form(
        client, f"/pay/{account.number}", {"amount": amount, "method": "card", "email": email, "claim": "c1"}
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/payments/([A-Z0-9]{8})/checkout", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def payment_row(session, confirmation: str) -> OnlinePayment:
    await session.commit()
    return await session.scalar(
        select(OnlinePayment)
        .where(OnlinePayment.confirmation == confirmation)
        .execution_options(populate_existing=True)
    )


async def entry_count(session, key: str) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key == key)))


async def test_a_guest_sees_only_the_amount_due_never_a_name_or_address(client, session, resident) -> None:
    await owe(session, resident.account)
    assert (await client.get("/pay")).status_code == 200
    response = await guest_in(client, resident.account)
    assert response.status_code == 303 and response.headers["location"] == f"/pay/{resident.account.number}"
    page = (await client.get(response.headers["location"])).text
    assert "$84.50" in page
    assert "Lopez" not in page and "María" not in page and "Oak St" not in page and "76501" not in page


async def test_a_visitor_who_did_not_look_the_account_up_cannot_open_its_pay_page(client, session, resident) -> None:
    """A pay link opened signed out (from an email) was a 404 "We could not find that account": it goes to the
    look-up with the number filled in, the ZIP still asked, and nothing of the account shown."""
    await owe(session, resident.account)
    opened = await client.get(f"/pay/{resident.account.number}", follow_redirects=False)
    assert opened.status_code in (302, 303) and opened.headers["location"] == f"/pay?account={resident.account.number}"
    page = await client.get(opened.headers["location"])
    assert page.status_code == 200 and f'value="{resident.account.number}"' in page.text
    assert "ZIP" in page.text and "$84.50" not in page.text and "Sign in to pay" in page.text
    posted = await post_form(client, f"/pay/{resident.account.number}", {"amount": "84.50", "method": "card"})
    assert posted.status_code == 404  # the form itself still needs the look-up


async def test_guest_look_up_warns_before_the_last_try_then_pauses_for_an_hour(client, session, resident) -> None:
    for attempt in range(1, 7):
        response = await guest_in(client, resident.account, zip_code="99999")
        assert response.status_code == 400 and "do not match" in response.text
        assert ("One try left before a 1-hour pause." in response.text) == (attempt == 5), attempt
    assert "paused for an hour" in response.text  # the sixth wrong try says so at once
    response = await guest_in(client, resident.account)  # the right ZIP, too late
    assert response.status_code == 429 and "Too many tries" in response.text and "an hour" in response.text
    opened = await client.get(f"/pay/{resident.account.number}", follow_redirects=False)
    assert opened.status_code in (302, 303) and opened.headers["location"].startswith("/pay?")  # back to the look-up


async def test_a_wrong_zip_is_told_on_the_form_never_on_one_field(client, session, resident) -> None:
    wrong_zip = await guest_in(client, resident.account, zip_code="99999")
    unknown = await post_form(
        client, "/pay/guest", {"account_number": numbers.with_check_digit(12_345_678), "zip_code": "76501"}
    )
    for response in (wrong_zip, unknown):
        assert response.status_code == 400
        assert 'id="lookup-error"' in response.text and "do not match our records" in response.text
        assert 'aria-invalid="true"' not in response.text  # neither field is singled out
        assert 'id="account_number-error"' not in response.text and 'id="zip_code-error"' not in response.text
    # a number that cannot be an account (its check digit is wrong) says so on its field: that reveals nothing
    valid = numbers.with_check_digit(12_345_678)
    typo_number = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    typo = await post_form(client, "/pay/guest", {"account_number": typo_number, "zip_code": "76501"})
    assert typo.status_code == 400 and 'id="account_number-error"' in typo.text


async def test_a_household_on_one_address_can_still_pay_its_own_bill(client, session, resident, other_resident) -> None:
    await owe(session, resident.account)
    for _ in range(6):  # someone at home locked themselves out of another account
        assert (await guest_in(client, other_resident.account, zip_code="11111")).status_code in (400, 429)
    assert (await guest_in(client, other_resident.account)).status_code == 429
    response = await guest_in(client, resident.account)
    assert response.status_code == 303 and response.headers["location"] == f"/pay/{resident.account.number}"


async def test_one_client_address_trying_many_accounts_is_paused_but_not_its_neighbours(
    settings, session, resident
) -> None:
    from tests.http.behind_proxy import as_client, balanced_client

    await owe(session, resident.account)
    async with balanced_client(settings) as prober, balanced_client(settings) as neighbour:
        prober.headers.update(as_client("198.51.100.9"))
        neighbour.headers.update(as_client("198.51.100.10"))  # behind the same load balancer
        for n in range(30):
            number = numbers.with_check_digit(20_000_000 + n)
            assert (
                await post_form(prober, "/pay/guest", {"account_number": number, "zip_code": "76501"})
            ).status_code == 400
        refused = await post_form(
            prober, "/pay/guest", {"account_number": resident.account.number, "zip_code": "76501"}
        )
        assert refused.status_code == 429
        response = await post_form(
            neighbour, "/pay/guest", {"account_number": resident.account.number, "zip_code": "76501"}
        )
        assert response.status_code == 303


async def test_a_guest_must_give_an_email_for_the_receipt(client, session, resident) -> None:
    await owe(session, resident.account)
    await guest_in(client, resident.account)
    response = await post_form(
        client, f"/pay/{resident.account.number}", {"amount": "84.50", "method": "card", "email": ""}
    )
    assert response.status_code == 400 and "receipt" in response.text


async def test_paying_far_more_than_is_owed_asks_first(client, session, resident, payments_ctx) -> None:
    """$5,000.00 against $84.50 went straight to checkout: one slip of a key, charged at once."""
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    form = {"amount": "5000.00", "method": "card", "claim": "c1"}
    asked = await post_form(client, f"/pay/{resident.account.number}", form)
    assert asked.status_code == 400 and "That is $4,915.50 more than the $84.50 owed" in asked.text
    assert 'name="more_than_owed"' in asked.text
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 0
    small = await post_form(client, f"/pay/{resident.account.number}", {**form, "amount": "150.00", "claim": "c2"})
    assert small.status_code == 303  # $65.50 over: a rounder amount, no question
    taken = await post_form(client, f"/pay/{resident.account.number}", {**form, "more_than_owed": "y"})
    assert taken.status_code == 303 and "/checkout" in taken.headers["location"]


async def test_a_one_time_bank_debit_names_the_returned_payment_fee(client, session, resident, payments_ctx) -> None:
    """The authorization said "a returned-payment fee" with no amount; the autopay one said $30.00."""
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    form = {"amount": "84.50", "method": "us_bank_account", "claim": "b1"}
    started = await post_form(client, f"/pay/{resident.account.number}", form)
    assert started.status_code == 303, started.text
    page = (await client.get(started.headers["location"])).text
    assert "a returned-payment fee of $30.00 is added to my account" in page


async def test_a_bad_amount_is_refused_with_a_message_and_nothing_is_started(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    for amount, message in [("abc", "dollars and cents"), ("0.50", "smallest online payment")]:
        response = await post_form(client, f"/pay/{resident.account.number}", {"amount": amount, "method": "card"})
        assert response.status_code == 400 and message in response.text
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 0


async def test_a_resident_pays_by_card_and_gets_a_receipt_page_and_one_entry(
    client, session, resident, payments_ctx
) -> None:
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    assert (await client.get("/pay", follow_redirects=False)).headers["location"] == f"/pay/{resident.account.number}"
    confirmation = await start_card_payment(client, resident.account)
    checkout = await client.get(f"/payments/{confirmation}/checkout")
    assert checkout.status_code == 200 and "/js.stripe.com/v3/" in checkout.text and "_secret_" in checkout.text
    assert "card-element" in checkout.text
    assert checkout.headers["cache-control"] == "no-store"  # it holds the PaymentIntent's client secret
    payment = await payment_row(session, confirmation)
    await confirm_card(payments_ctx, payment.intent_id)
    response = await client.get(f"/payments/{confirmation}/return", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/payments/{confirmation}"
    receipt = await client.get(f"/payments/{confirmation}")
    assert "Payment received" in receipt.text and confirmation in receipt.text
    assert await entry_count(session, payment.intent_id) == 1
    assert await ledger.balance(session, resident.account.id) == 0


async def test_a_guests_receipt_email_is_the_receipt_with_no_link_that_only_the_paying_browser_opens(
    client, session, resident, payments_ctx
) -> None:
    """The email linked to /payments/<confirmation>, which answers 404 anywhere but the browser that paid."""
    await owe(session, resident.account)
    await guest_in(client, resident.account)
    confirmation = await start_card_payment(client, resident.account, email="guest@example.com")
    payment = await payment_row(session, confirmation)
    await confirm_card(payments_ctx, payment.intent_id)
    assert (await client.get(f"/payments/{confirmation}/return", follow_redirects=False)).status_code == 303
    await session.commit()
    body = await session.scalar(
        select(MailMessage.text_body).where(MailMessage.to_addr == "guest@example.com").order_by(MailMessage.id.desc())
    )
    assert body is not None and "Keep this email as your receipt." in body
    assert f"Confirmation number: {confirmation}" in body and "Amount: $84.50" in body and "Paid by: Card" in body
    assert f"Account: {numbers.display(resident.account.number)}" in body
    assert "/payments/" not in body and "http" not in body


async def test_someone_else_cannot_pay_for_or_see_a_residents_payment(
    client, session, resident, other_resident
) -> None:
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    confirmation = await start_card_payment(client, resident.account)
    client.cookies.clear()  # a visitor who never started it
    assert (await client.get(f"/payments/{confirmation}")).status_code == 404
    await sign_in(client, session, other_resident.user)
    assert (await client.get(f"/pay/{resident.account.number}")).status_code == 404
    assert (await client.get(f"/payments/{confirmation}")).status_code == 404
    assert (await client.get(f"/payments/{confirmation}/checkout")).status_code == 404


async def test_a_declined_card_shows_a_clear_message_and_posts_nothing(client, session, resident, payments_ctx) -> None:
    import stripe

    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    confirmation = await start_card_payment(client, resident.account)
    payment = await payment_row(session, confirmation)
    with pytest.raises(stripe.CardError):
        await confirm_card(payments_ctx, payment.intent_id, "pm_card_chargeCustomerFail")
    response = await client.get(f"/payments/{confirmation}/return", follow_redirects=False)
    assert response.headers["location"] == f"/payments/{confirmation}/checkout"
    page = await client.get(response.headers["location"])
    assert "The payment did not go through: Your card was declined." in page.text
    assert await entry_count(session, payment.intent_id) == 0
    assert await ledger.balance(session, resident.account.id) == 8_450


async def _post_event(client, event) -> object:
    body, signature = signed(event)
    return await client.post(
        "/payments/webhook", content=body, headers={"stripe-signature": signature, "content-type": "application/json"}
    )


async def test_a_webhook_replayed_3_times_and_out_of_order_posts_one_entry(
    client, session, resident, payments_ctx
) -> None:
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    confirmation = await start_card_payment(client, resident.account)
    payment = await payment_row(session, confirmation)
    created = await payments_ctx.gateway.retrieve_intent(payment.intent_id)  # the intent as it was: no payment yet
    await confirm_card(payments_ctx, payment.intent_id)
    succeeded = event_for(
        await payments_ctx.gateway.retrieve_intent(payment.intent_id), "payment_intent.succeeded", "evt_ok"
    )
    stale_failed = event_for(created, "payment_intent.payment_failed", "evt_old_fail")
    stale_processing = event_for(created, "payment_intent.processing", "evt_old_proc")
    answers = []
    for event in (succeeded, succeeded, stale_failed, succeeded, stale_processing):
        response = await _post_event(client, event)
        assert response.status_code == 200, response.text
        answers.append(response.json()["outcome"])
    assert answers == ["succeeded", "duplicate", "succeeded", "duplicate", "succeeded"]
    assert await entry_count(session, payment.intent_id) == 1
    assert (await payment_row(session, confirmation)).status == "succeeded"
    assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 3


async def test_a_receipt_sent_by_the_webhook_is_in_the_language_the_guest_paid_in(
    client, session, resident, payments_ctx
) -> None:
    """A bank payment's receipt goes out when Stripe's webhook says it succeeded, outside the payer's request: it was
    written in English for a guest who paid on the Spanish pages."""
    await owe(session, resident.account)
    await guest_in(client, resident.account)
    await client.get("/lang/es")
    confirmation = await start_card_payment(client, resident.account, email="pagador@example.com")
    payment = await payment_row(session, confirmation)
    assert payment.language == "es"
    await confirm_card(payments_ctx, payment.intent_id)
    succeeded = event_for(await payments_ctx.gateway.retrieve_intent(payment.intent_id), "payment_intent.succeeded")
    client.cookies.clear()  # Stripe's request: no language of its own
    assert (await _post_event(client, succeeded)).json()["outcome"] == "succeeded"
    await session.commit()
    body = await session.scalar(select(MailMessage.text_body).where(MailMessage.to_addr == "pagador@example.com"))
    assert body is not None and "Guarde este correo como su recibo." in body, body


async def test_a_webhook_with_a_bad_signature_is_refused_and_stores_nothing(client, session, resident) -> None:
    body, signature = signed(
        event_for({"id": "pi_x", "object": "payment_intent"}, "payment_intent.succeeded"), secret="whsec_wrong"
    )
    response = await client.post("/payments/webhook", content=body, headers={"stripe-signature": signature})
    assert response.status_code == 400
    response = await client.post("/payments/webhook", content=body)
    assert response.status_code == 400
    assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 0


async def test_the_return_page_and_the_webhook_racing_post_one_entry(client, session, resident, payments_ctx) -> None:
    await owe(session, resident.account)
    await sign_in(client, session, resident.user)
    confirmation = await start_card_payment(client, resident.account)
    payment = await payment_row(session, confirmation)
    intent = await confirm_card(payments_ctx, payment.intent_id)
    event = event_for(intent, "payment_intent.succeeded")
    page, hook, hook_again = await asyncio.gather(
        client.get(f"/payments/{confirmation}/return", follow_redirects=False),
        _post_event(client, event),
        _post_event(client, {**event, "id": event["id"] + "_2"}),
    )
    assert page.status_code == 303 and hook.status_code == 200 and hook_again.status_code == 200
    assert await entry_count(session, payment.intent_id) == 1
    receipts = (await session.scalars(select(OnlinePayment.receipt_sent))).all()
    assert receipts == [True]


async def test_a_webhook_we_cannot_check_with_stripe_is_refused_so_stripe_sends_it_again(session, settings) -> None:
    import dataclasses

    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    unreachable = dataclasses.replace(settings, stripe_api_base="http://127.0.0.1:9")
    async with AsyncTestClient(app=create_app(unreachable), base_url="http://portal.test") as offline:
        session.add(
            OnlinePayment(
                account_id=(await _any_account(session)),
                claim_key="web:z",
                confirmation="OFFLINE2",
                intent_id="pi_offline",
                method="card",
                channel="guest",
                amount_cents=100,
            )
        )
        await session.commit()
        response = await _post_event(
            offline, event_for({"id": "pi_offline", "object": "payment_intent"}, "payment_intent.succeeded")
        )
    assert response.status_code == 503
    assert await session.scalar(select(func.count()).select_from(StripeEvent)) == 0


async def _any_account(session) -> int:
    from tests import factories

    account = await factories.make_account(session)
    await session.commit()
    return account.id


async def test_a_guests_checkout_page_is_never_stored(client, session, resident) -> None:
    await owe(session, resident.account)
    await guest_in(client, resident.account)
    confirmation = await start_card_payment(client, resident.account)
    checkout = await client.get(f"/payments/{confirmation}/checkout")
    assert checkout.status_code == 200 and "_secret_" in checkout.text
    assert checkout.headers["cache-control"] == "no-store"
