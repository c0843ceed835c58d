"""/staff/print: the batches for CSRs and above; the PDF and manifest downloads, private and audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import AuditEvent, PrintBatch
from tests.http.helpers import sign_in


async def _batch(session) -> PrintBatch:
    batch = PrintBatch(
        cycle=2,
        business_date=dt.date(2026, 7, 10),
        bills=3,
        letters=1,
        pages=4,
        amount_due_cents=25_000,
        pdf=b"%PDF-1.7 four pages",
        pdf_sha256="0" * 64,
        pdf_size=19,
        manifest_csv="sequence,account\r\n1,123456786\r\n",
    )
    session.add(batch)
    await session.commit()
    return batch


async def test_a_csr_sees_the_batches_and_downloads_both_files_privately_and_audited(client, session, csr) -> None:
    batch = await _batch(session)
    await sign_in(client, session, csr)
    page = await client.get("/staff/print")
    assert page.status_code == 200
    assert f"/staff/print/{batch.id}/pdf" in page.text and f"/staff/print/{batch.id}/manifest" in page.text
    pdf = await client.get(f"/staff/print/{batch.id}/pdf")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 four pages"
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "private, no-store"
    assert pdf.headers["content-disposition"] == 'attachment; filename="print-cycle2-2026-07-10.pdf"'
    manifest = await client.get(f"/staff/print/{batch.id}/manifest")
    assert manifest.status_code == 200 and manifest.text.startswith("sequence,account")
    assert manifest.headers["content-type"].startswith("text/csv")
    assert manifest.headers["cache-control"] == "private, no-store"
    assert 'filename="print-cycle2-2026-07-10.csv"' in manifest.headers["content-disposition"]
    await session.commit()
    events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "print_batch.download")))
    assert sorted(e.after["file"] for e in events) == ["manifest", "pdf"]
    assert {e.actor_id for e in events} == {csr.id}
    assert (await client.get(f"/staff/print/{batch.id + 1}/pdf")).status_code == 404


async def test_technicians_residents_and_visitors_cannot_reach_print_batches(
    client, session, technician, resident
) -> None:
    batch = await _batch(session)
    assert (await client.get(f"/staff/print/{batch.id}/pdf", follow_redirects=False)).status_code in (302, 303, 401)
    for user in (technician, resident.user):
        await sign_in(client, session, user)
        for path in ("/staff/print", f"/staff/print/{batch.id}/pdf", f"/staff/print/{batch.id}/manifest"):
            assert (await client.get(path, follow_redirects=False)).status_code == 403, (user.role, path)
