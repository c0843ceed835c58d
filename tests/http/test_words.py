"""A Spanish-speaking viewer reads ledger lines, adjustment explanations and history in Spanish, with names, and one
page's dates in one style."""

from __future__ import annotations

import datetime as dt
import re

from portal.accounts import ledger, ledger_words
from portal.accounts.actor import Actor
from portal.accounts.models import Adjustment, AdjustmentKind, AdjustmentStatus, LedgerKind, Origin
from portal.staff import rules
from tests.http.helpers import post_form, sign_in


async def seed(session, resident, csr) -> None:
    account = resident.account
    paid_by = Actor(user_id=resident.user.id, label=resident.user.email, origin=Origin.WEB)
    await ledger.post(
        session,
        Actor.job("bill-run"),
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=8_000,
        source_key="words:bill",
        effective_on=dt.date(2026, 11, 1),
        memo=ledger_words.memo("bill", start_on="2026-10-01", end_on="2026-10-31"),
    )
    await ledger.post(
        session,
        paid_by,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-2_500,
        source_key="words:pay",
        effective_on=dt.date(2026, 11, 20),
        memo=ledger_words.memo("payment", method="card"),
    )
    prices = rules.VolumePrices(water_tiers=((None, 400),), sewer_cents_per_kgal=480, sewer_billed_gallons=12_000)
    result = rules.pool_fill(
        rules.Policy(), today=dt.date(2026, 11, 26), usage_gallons=30_000, average_gallons=6_000, prices=prices
    )
    session.add(
        Adjustment(
            account_id=account.id,
            kind=AdjustmentKind.POOL_FILL,
            status=AdjustmentStatus.PENDING_APPROVAL,
            amount_cents=result.amount_cents,
            reason="Filled the pool",
            explanation=result.english,
            inputs={"explanation": {"key": result.key, "values": result.values}},
            effective_on=dt.date(2026, 11, 26),
            requested_by_id=csr.id,
        )
    )
    await session.commit()


def visible(html: str) -> str:
    """The page's text as read: no scripts, no tags or their attributes (a <time datetime> stays ISO)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


async def test_a_spanish_speaking_csr_reads_the_account_in_spanish_with_names(client, session, csr, resident) -> None:
    csr.locale = "es"
    session.add(csr)
    await seed(session, resident, csr)
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}"
    assert (await post_form(client, f"{url}/notes", {"body": "Llamó por la factura."})).status_code == 303
    text = visible((await client.get(url)).text)
    assert "Factura del 1 oct 2026 al 31 oct 2026" in text and "Pago con tarjeta" in text
    assert "Llenado de piscina: alcantarillado refacturado sobre el promedio de 6,000 gal" in text
    assert "Angela Ruiz: Agregó una nota" in text
    assert "María Lopez: Asentó en el libro de cuentas: Pago con tarjeta" in text
    assert "Sistema: Asentó en el libro de cuentas: Factura del" in text
    assert "account.note" not in text and "ledger.post" not in text and "csr@riverton.example" not in text
    # One style per kind: dates "1 oct 2026", date-times "26 nov 2026, 5:01 a.m."; never ISO or 11/24/26.
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), re.findall(r".{30}\d{4}-\d{2}-\d{2}.{10}", text)
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", text)
    assert re.search(r"\b\d{1,2} [a-z]{3} \d{4}, \d{1,2}:\d{2}\s?[ap]\.\s?m\.", text)


async def test_a_spanish_speaking_resident_reads_the_ledger_in_spanish(client, session, csr, resident) -> None:
    resident.user.locale = "es"
    session.add(resident.user)
    await seed(session, resident, csr)
    await sign_in(client, session, resident.user)
    text = visible((await client.get(f"/my/accounts/{resident.account.number}")).text)
    assert "Factura del 1 oct 2026 al 31 oct 2026" in text and "Pago con tarjeta" in text
    assert "Bill 2026" not in text and "Payment by" not in text
