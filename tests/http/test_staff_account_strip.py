"""The staff account page's summary strip: every alert of an account that has them all, in words; the actions behind
buttons whose form opens again when it comes back with an error; the long sections collapsed with their counts."""

from __future__ import annotations

import datetime as dt
import re

from portal.accounts import numbers
from portal.i18n import format_date
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in


def strip_of(page: str) -> str:
    found = re.search(r'<section class="strip".*?</section>', page, re.S)
    assert found, "no summary strip"
    return found.group(0)


async def test_the_strip_shows_every_alert_in_words(client, session, csr) -> None:
    today = local_today()
    account = await factories.make_alerted_account(session, csr, today)
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{account.number}")
    assert page.status_code == 200
    strip = strip_of(page.text)
    kinds = re.findall(r'data-alert="(\w+)"', strip)
    assert kinds == [
        "disconnect",
        "restore",
        "stop",
        "medical",
        "extension",
        "arrangement",
        "bankruptcy",
        "dispute",
        "returned_payments",
        "adjustment_pending",
        "refund_pending",
        "language",
        "paperless",
    ]
    for words in (
        "Disconnect order",
        "Restore order",
        f"Stop of service</strong> Open · final read {format_date(today + dt.timedelta(days=10))}",
        f"Medical certificate</strong> until {format_date(today + dt.timedelta(days=25))}",
        f"Extension</strong> to {format_date(today + dt.timedelta(days=12))}",
        "Payment arrangement",
        "Bankruptcy case 26-40117",
        "Dispute pending",
        "$20.00 disputed",
        "1 returned payment",
        "Adjustment waiting for approval",
        "$741.99",
        "Refund waiting for approval",
        "Speaks Spanish",
        "Paperless</strong> no paper bills",
        "$109.50",  # past due
        "$25.00",  # the last payment, by mailed check
        "mailed check",
        "···6789",
    ):
        assert words in strip, words


async def test_a_paperless_customer_billing_cannot_email_is_said_to_get_paper(client, session, csr) -> None:
    from portal.accounts.models import Customer

    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.paperless, customer.email = True, None
    await session.commit()
    await sign_in(client, session, csr)
    strip = strip_of((await client.get(f"/staff/accounts/{account.number}")).text)
    assert "Paperless</strong> but no way to email: bills go on paper" in strip and "no paper bills" not in strip


async def test_an_account_without_alerts_has_a_quiet_strip_and_collapsed_sections(
    client, session, csr, resident
) -> None:
    await sign_in(client, session, csr)
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    strip = strip_of(page)
    assert "data-alert" not in strip and "Not enrolled" in strip
    assert '<details class="section" id="notes">' in page and '<details class="section" id="history">' in page
    assert re.search(r'id="notes-title">Notes <span class="count">\(0\)</span>', page)
    assert "js/open-target" in page
    assert '<details class="action" id="action-note">' in page  # closed


async def test_a_note_refused_comes_back_with_its_form_open(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await post_form(client, f"/staff/accounts/{resident.account.number}/notes", {"body": "  "})
    assert response.status_code == 400
    assert '<details class="action" id="action-note" open>' in response.text
    assert '<details class="action" id="action-medical">' in response.text
    assert numbers.display(resident.account.number) in response.text


async def test_a_voided_or_disputed_payment_is_not_a_returned_payment(client, session, csr, resident) -> None:
    from portal.accounts import ledger
    from portal.accounts.actor import Actor
    from portal.accounts.models import LedgerKind

    job, today = Actor.job("test"), local_today()
    for key, reversal_key in (("receipt:901", None), ("pi_disputed", "dispute:dp_1")):
        paid = await ledger.post(
            session,
            job,
            account_id=resident.account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-1_000,
            source_key=key,
            effective_on=today,
        )
        await ledger.reverse(session, job, paid.entry.id, reason="void", effective_on=today, source_key=reversal_key)
    await session.commit()
    await sign_in(client, session, csr)
    strip = strip_of((await client.get(f"/staff/accounts/{resident.account.number}")).text)
    assert "returned_payments" not in strip and "returned payment" not in strip
