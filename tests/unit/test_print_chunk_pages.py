"""A bill longer than a page (many charge lines: water, sewer, electric and gas with their adjustments) keeps its
anchor on every page it spans; the chunk still counts each document from its first page."""

from __future__ import annotations

import dataclasses

from portal.accounts import numbers
from portal.settings import Settings
from portal.staff.print_batch import BILL, Doc, render_chunk


def _bill(lines: int) -> dict:
    doc = Doc(
        BILL,
        1,
        1,
        numbers.with_check_digit("1" * numbers.BODY_DIGITS),
        "Ana Test",
        ["1 Oak St", "Riverton, TX 76501"],
        "76501",
        "R1",
        "en",
        12_345,
        {
            "service_address": "1 Oak St",
            "bill_date": "2026-12-01",
            "due_date": "2026-12-22",
            "period": ["2026-11-01", "2026-11-30"],
            "final": False,
            "estimated": False,
            "previous_cents": 0,
            "total_cents": 12_345,
            "deposit_cents": 0,
            "usage": 1000,
            "lines": [(None, f"Charge line {n}", 100) for n in range(lines)],
        },
    )
    return dataclasses.asdict(doc)


def test_a_two_page_bill_counts_as_one_document_of_two_pages() -> None:
    pdf, pages = render_chunk(Settings(), [_bill(120), _bill(3)])
    assert pdf.startswith(b"%PDF")
    assert pages[0] >= 2 and pages[1] == 1, pages
