"""The counter: drawers, gap-free receipts, voids by a second person, closing to the cent, the day's collections,
and lockbox files posting each payment once."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from portal.accounts import ledger, numbers
from portal.accounts.models import AuditEvent, CashDrawer, Counter, LedgerEntry, LedgerKind, LockboxBatch, Receipt, Role
from tests import factories
from tests.http.helpers import post_form, sign_in


async def _open(client, float_dollars: str = "100.00") -> None:
    response = await post_form(client, "/staff/drawer/open", {"opening_float": float_dollars})
    assert response.status_code == 303, response.text


async def _pay(client, account, tender: str, amount: str, check: str = "", **more: str) -> int:
    """Post a payment as the drawer's "Post payment" step does: with the id of the account its card showed."""
    response = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": numbers.display(account.number),
            "account_id": str(account.id),
            "tender": tender,
            "amount": amount,
            "check_number": check,
            "more_than_owed": "y",  # these accounts owe little: a payment is taken whatever it is (asked: one test)
            **more,
        },
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def _fresh(session):
    await session.commit()
    return session


async def test_receipts_are_numbered_without_gaps_and_post_once_each(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    await _open(client)
    first = await _pay(client, resident.account, "cash", "45.10")
    bad = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": resident.account.number,
            "account_id": str(resident.account.id),
            "tender": "check",
            "amount": "20.00",
            "check_number": "",
        },
    )
    assert bad.status_code == 400 and "Enter the check number." in bad.text
    second = await _pay(client, resident.account, "check", "20.00", "1042")
    third = await _pay(client, resident.account, "card", "0.01")
    assert (first, second, third) == (1, 2, 3)  # the refused check used no number
    await _fresh(session)
    keys = set(await session.scalars(select(LedgerEntry.source_key).where(LedgerEntry.kind == LedgerKind.PAYMENT)))
    assert keys == {"receipt:1", "receipt:2", "receipt:3"}
    assert await ledger.balance(session, resident.account.id) == -(4510 + 2000 + 1)
    assert (await session.get(Counter, "receipt")).value == 3
    page = await client.get("/staff/drawer/receipts/2")
    assert "#1042" in page.text and "$20.00" in page.text


async def test_the_same_payment_form_posted_twice_takes_the_payment_once(client, session, csr, resident) -> None:
    import re

    await sign_in(client, session, csr)
    await _open(client)
    page = await client.get("/staff/drawer", params={"account": resident.account.number})
    once = re.search(r'name="once"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="once"', page.text
    )
    assert once, "the form carries a one-time token"
    first = await _pay(client, resident.account, "cash", "30.00", once=once.group(1))
    again = await post_form(  # a double click or a resubmitted page: the same form, the same token
        client,
        "/staff/drawer/payments",
        {
            "account_number": resident.account.number,
            "account_id": str(resident.account.id),
            "tender": "cash",
            "amount": "30.00",
            "once": once.group(1),
        },
    )
    assert again.status_code == 303 and again.headers["location"].endswith(f"/receipts/{first}")
    shown = await client.get(again.headers["location"])
    assert f"This payment was already posted: receipt {first}." in shown.text
    await _fresh(session)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 1
    payments = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.PAYMENT)
    assert await session.scalar(payments) == 1
    assert (await session.get(Counter, "receipt")).value == 1
    fresh = await client.get("/staff/drawer")
    assert once.group(1) not in fresh.text  # the next form has a token of its own


async def test_a_payment_needs_an_open_drawer_and_a_real_account(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    closed = await post_form(
        client, "/staff/drawer/payments", {"account_number": resident.account.number, "tender": "cash", "amount": "5"}
    )
    assert closed.status_code == 400
    await _open(client)
    typo = resident.account.number[:-1] + str((int(resident.account.number[-1]) + 1) % 10)
    wrong = await post_form(client, "/staff/drawer/payments", {"account_number": typo, "tender": "cash", "amount": "5"})
    assert wrong.status_code == 400 and 'href="#account_number"' in wrong.text
    cents = await post_form(
        client,
        "/staff/drawer/payments",
        {"account_number": resident.account.number, "tender": "cash", "amount": "5.005"},
    )
    assert cents.status_code == 400
    await _fresh(session)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 0


async def test_take_a_payment_checks_the_account_then_posts(client, session, csr, resident, other_resident) -> None:
    await sign_in(client, session, csr)
    account = await client.get(f"/staff/accounts/{resident.account.number}")
    link = f"/staff/drawer?account={resident.account.number}"
    assert "Take a payment" in account.text and link in account.text
    closed = await client.get(link)  # no drawer yet: opening one comes back to the payment for this account
    assert 'name="account"' in closed.text
    opened = await post_form(
        client, "/staff/drawer/open", {"opening_float": "100.00", "account": resident.account.number}
    )
    assert opened.status_code == 303 and opened.headers["location"] == link
    started = await client.get(link)
    assert started.status_code == 200 and f'value="{resident.account.id}"' in started.text
    form = {
        "account_number": numbers.display(resident.account.number),
        "tender": "cash",
        "amount": "$1,234.50",
        "more_than_owed": "y",  # paid ahead on purpose
    }
    checked = await post_form(client, "/staff/drawer/payments", form)
    assert (
        checked.status_code == 200
        and "Post payment" in checked.text
        and f'value="{resident.account.id}"' in checked.text
    )
    assert "Lopez" in checked.text and "Balance" in checked.text
    # The number changed between the check and the post: refused, nothing posted, the new account's card shown.
    changed = await post_form(
        client,
        "/staff/drawer/payments",
        {**form, "account_number": other_resident.account.number, "account_id": str(resident.account.id)},
    )
    assert changed.status_code == 409 and "changed after the check" in changed.text
    assert f'value="{other_resident.account.id}"' in changed.text
    short = await post_form(
        client, "/staff/drawer/payments", {**form, "account_id": str(resident.account.id), "tendered": "1,000"}
    )
    assert short.status_code == 400 and "less than the amount" in short.text and 'href="#tendered"' in short.text
    await _fresh(session)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 0
    number = await _pay(client, resident.account, "cash", "$1,234.50", tendered=" 1,300 ")
    receipt = await client.get(f"/staff/drawer/receipts/{number}")
    text = receipt.text
    assert "$1,300.00" in text and "$65.50" in text  # handed over and change given
    drawer = await (await _fresh(session)).scalar(select(CashDrawer))
    assert csr.display_name in text and f"Drawer {drawer.id}" in text
    assert "200 Main St, Riverton, TX 76501" in text and "555-0100" in text and "Print receipt" in text
    await _fresh(session)
    assert await ledger.balance(session, resident.account.id) == -123_450


async def test_a_mistyped_number_at_the_counter_names_the_account_it_was_likely_meant_to_be(
    client, session, csr, resident
) -> None:
    await sign_in(client, session, csr)
    await _open(client)
    typo = resident.account.number[:-1] + str((int(resident.account.number[-1]) + 1) % 10)
    card = await client.get("/staff/drawer/card", params={"number": typo})
    assert card.status_code == 200 and "did you mean" in card.text
    # the number with whose account it is (a bare number to pick from was a guess)
    assert f"{numbers.display(resident.account.number)} (María Lopez, " in html.unescape(card.text)
    unknown = await client.get("/staff/drawer/card", params={"number": "12"})
    assert "9 digits" in unknown.text
    found = await client.get("/staff/drawer/card", params={"number": resident.account.number})
    assert f'data-account-id="{resident.account.id}"' in found.text


async def test_a_void_needs_a_second_person_and_reverses_the_payment(client, session, csr, resident) -> None:
    colleague = await factories.make_user(session, Role.CSR, email="csr2@riverton.example", name="Tom Becker")
    await session.commit()
    await sign_in(client, session, csr)
    await _open(client)
    number = await _pay(client, resident.account, "cash", "60.00")
    asked = await post_form(client, f"/staff/drawer/receipts/{number}/void", {"reason": "Wrong account"})
    assert asked.status_code == 303
    review = await client.get(f"/staff/drawer/receipts/{number}/void/confirm")
    assert "You asked for this void" in review.text and "and reverse the payment</button>" not in review.text
    own = await post_form(client, f"/staff/drawer/receipts/{number}/void/confirm")
    assert own.status_code == 400 and "second person" in own.text
    await _fresh(session)
    assert await ledger.balance(session, resident.account.id) == -6000
    blocked = await post_form(client, "/staff/drawer/close", {"cash": "160.00", "check": "0", "card": "0"})
    assert blocked.status_code == 409  # a void is waiting

    client.cookies.clear()
    await sign_in(client, session, colleague)
    assert "Wrong account" in (await client.get("/staff/drawer/voids")).text
    review = await client.get(f"/staff/drawer/receipts/{number}/void/confirm")
    assert review.status_code == 200 and "$60.00" in review.text and "reverses this payment" in review.text
    assert numbers.display(resident.account.number) in review.text
    await _fresh(session)
    assert await ledger.balance(session, resident.account.id) == -6000  # the review changed nothing
    assert (await post_form(client, f"/staff/drawer/receipts/{number}/void/confirm")).status_code == 303
    await _fresh(session)
    assert await ledger.balance(session, resident.account.id) == 0
    receipt = await session.scalar(select(Receipt).where(Receipt.number == number))
    assert receipt.voided_at is not None and receipt.void_approved_by_id == colleague.id
    assert (await post_form(client, f"/staff/drawer/receipts/{number}/void/confirm")).status_code == 409


def _balance_after(page: str) -> str:
    shown = page.split("Balance after payment</dt><dd>", 1)[1].split("</dd>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", shown).split())


async def test_a_reprinted_receipt_keeps_its_balance_and_a_voided_payment_is_not_the_last(
    client, session, csr, resident
) -> None:
    """A receipt reprinted after later payments said today's balance; the account strip named a voided $5,000 as the
    customer's last payment. Voided receipts say so instead of thanking."""
    colleague = await factories.make_user(session, Role.CSR, email="csr2@riverton.example", name="Tom Becker")
    await session.commit()
    await sign_in(client, session, csr)
    await _open(client)
    first = await _pay(client, resident.account, "cash", "20.00")
    second = await _pay(client, resident.account, "check", "30.00", check="1001")
    # $5,000 on a balance of -$50.00: asked first ("on purpose?"), taken once ticked
    asked = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": numbers.display(resident.account.number),
            "account_id": str(resident.account.id),
            "tender": "cash",
            "amount": "5000.00",
        },
    )
    assert asked.status_code == 400 and "That is $5,000.00 more than the balance of $0.00" in asked.text
    assert 'name="more_than_owed"' in asked.text
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 2  # nothing taken
    slip = await _pay(client, resident.account, "cash", "5000.00")
    assert _balance_after((await client.get(f"/staff/drawer/receipts/{first}")).text) == "$20.00 credit"
    assert _balance_after((await client.get(f"/staff/drawer/receipts/{second}")).text) == "$50.00 credit"
    assert _balance_after((await client.get(f"/staff/drawer/receipts/{slip}")).text) == "$5,050.00 credit"
    await post_form(client, f"/staff/drawer/receipts/{slip}/void", {"reason": "Keyed 5000 for 50"})
    client.cookies.clear()
    await sign_in(client, session, colleague)
    assert (await post_form(client, f"/staff/drawer/receipts/{slip}/void/confirm")).status_code == 303
    account = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert "$5,000.00" not in account.split("Last payment", 1)[1].split("</dd>", 1)[0]
    assert "$30.00" in account.split("Last payment", 1)[1].split("</dd>", 1)[0]
    voided = (await client.get(f"/staff/drawer/receipts/{slip}")).text
    assert _balance_after(voided) == "$5,050.00 credit" and "This receipt is void" in voided
    assert "Thank you for your payment" not in voided
    assert _balance_after((await client.get(f"/staff/drawer/receipts/{first}")).text) == "$20.00 credit"


async def test_the_drawer_balances_to_the_cent_and_a_shortage_needs_a_reason(
    client, session, csr, resident, other_resident
) -> None:
    await sign_in(client, session, csr)
    await _open(client, "150.00")
    await _pay(client, resident.account, "cash", "45.37")
    await _pay(client, other_resident.account, "cash", "0.63")
    await _pay(client, resident.account, "check", "112.50", "5521")
    await _pay(client, other_resident.account, "card", "19.99")
    short = await post_form(client, "/staff/drawer/close", {"cash": "195.99", "check": "112.50", "card": "19.99"})
    assert short.status_code == 400 and "The count is short by $0.01: say why." in short.text  # one cent short
    done = await post_form(client, "/staff/drawer/close", {"cash": "196.00", "check": "112.50", "card": "19.99"})
    assert done.status_code == 303
    await _fresh(session)
    drawer = await session.scalar(select(CashDrawer))
    assert drawer.expected == {"cash": 19_600, "check": 11_250, "card": 1_999}
    assert drawer.over_short_cents == 0 and not drawer.flagged and drawer.closed_at is not None
    page = await client.get(f"/staff/drawer/{drawer.id}")
    assert "$196.00" in page.text
    assert f"Opened by {csr.display_name}" in page.text and f"Closed by {csr.display_name}" in page.text  # who counted


async def test_a_shortage_over_25_dollars_is_flagged_to_a_supervisor(
    client, session, csr, supervisor, resident
) -> None:
    await sign_in(client, session, csr)
    await _open(client, "100.00")
    await _pay(client, resident.account, "cash", "80.00")
    done = await post_form(
        client, "/staff/drawer/close", {"cash": "154.99", "check": "0", "card": "0", "reason": "Gave wrong change?"}
    )
    assert done.status_code == 303
    await _fresh(session)
    drawer = await session.scalar(select(CashDrawer))
    assert drawer.over_short_cents == -2501 and drawer.flagged and drawer.over_short_reason == "Gave wrong change?"
    assert (
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "drawer.close"))
        == 1
    )
    client.cookies.clear()
    await sign_in(client, session, supervisor)
    assert "Gave wrong change?" in (await client.get("/staff/approvals")).text


async def test_the_days_collections_and_deposit_slip_add_up(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    await _open(client, "100.00")
    await _pay(client, resident.account, "cash", "10.00")
    await _pay(client, resident.account, "check", "25.00", "777")
    await post_form(client, "/staff/drawer/close", {"cash": "110.00", "check": "25.00", "card": "0"})
    report = await client.get("/staff/collections")
    assert report.status_code == 200 and "$35.00" in report.text
    slip = await client.get("/staff/collections/deposit-slip")
    assert slip.status_code == 200 and "777" in slip.text and "$35.00" in slip.text  # $10 cash + $25 check


LOCKBOX = """account_number,amount,paid_on,check_number
{a},45.10,2026-11-20,1001
{b},"1,200.00",11/21/2026,1002
{a},45.10,2026-11-20,1001
{a},abc,2026-11-20,1003
123456789,5.00,2026-11-20,1004
"""


async def test_a_lockbox_file_imported_twice_posts_each_payment_once(
    client, session, csr, resident, other_resident
) -> None:
    await sign_in(client, session, csr)
    content = LOCKBOX.format(a=resident.account.number, b=other_resident.account.number).encode()
    token = (
        client.cookies.get("csrftoken")
        or (await client.get("/staff/lockbox")).cookies.get("csrftoken")
        or client.cookies["csrftoken"]
    )
    first = await client.post(
        "/staff/lockbox",
        files={"file": ("lockbox-1120.csv", content, "text/csv")},
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert first.status_code == 303, first.text
    report = await client.get(first.headers["location"])
    assert "is not a number" in report.text and "is not valid" in report.text
    again = await client.post(
        "/staff/lockbox",
        files={"file": ("lockbox-1120.csv", content, "text/csv")},
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303
    await _fresh(session)
    batches = list(await session.scalars(select(LockboxBatch).order_by(LockboxBatch.id)))
    assert [(b.posted, b.duplicates, b.rejected) for b in batches] == [(3, 0, 2), (0, 3, 2)]
    # two identical lines in one file are two payments; the second import added nothing
    assert await ledger.balance(session, resident.account.id) == -9020
    assert await ledger.balance(session, other_resident.account.id) == -120000


async def test_a_lockbox_file_of_scan_lines_posts_to_the_stubs_accounts(client, session, csr, resident) -> None:
    from portal.billing import scanline

    await sign_in(client, session, csr)
    line = scanline.make(resident.account.number, 6_425)
    misread = line[:12] + ("1" if line[12] != "1" else "2") + line[13:]
    content = f"scan_line,amount,paid_on,item_id\n{line},64.25,2026-11-20,S1\n{misread},64.25,2026-11-20,S2\n".encode()
    await client.get("/staff/lockbox")
    response = await client.post(
        "/staff/lockbox",
        files={"file": ("lockbox-scan.csv", content, "text/csv")},
        data={"_csrf_token": client.cookies["csrftoken"]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    report = await client.get(response.headers["location"])
    assert "check digit is wrong" in report.text
    await _fresh(session)
    assert await ledger.balance(session, resident.account.id) == -6_425


async def test_a_file_that_is_not_a_lockbox_csv_is_refused_whole(client, session, csr) -> None:
    await sign_in(client, session, csr)
    await client.get("/staff/lockbox")
    response = await client.post(
        "/staff/lockbox",
        files={"file": ("photo.csv", b"\xff\xd8\xff\xe0garbage", "text/csv")},
        data={"_csrf_token": client.cookies["csrftoken"]},
        follow_redirects=False,
    )
    assert response.status_code == 400 and "not a text CSV" in response.text
    await _fresh(session)
    assert await session.scalar(select(func.count()).select_from(LockboxBatch)) == 0


async def test_a_technician_cannot_reach_the_counter(client, session, technician) -> None:
    await sign_in(client, session, technician)
    for path in ("/staff/drawer", "/staff/drawer/voids", "/staff/collections", "/staff/lockbox"):
        assert (await client.get(path)).status_code == 403, path
