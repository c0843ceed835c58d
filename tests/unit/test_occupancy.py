"""One customer's service at an address at a time (portal/accounts/tenancy.occupied_refusal): who is refused, at which
step, and on which field."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts.tenancy import occupied_refusal

LEAVES = dt.date(2026, 12, 14)


@pytest.mark.parametrize(
    ("occupied", "leaves_on", "start_on", "refused_on"),
    [
        (False, None, None, None),  # vacant: nothing to say
        (False, None, dt.date(2026, 12, 1), None),
        (True, None, None, "premise_id"),  # someone there, no stop set: said at the address
        (True, None, dt.date(2027, 3, 1), "premise_id"),  # however late the start
        (True, LEAVES, None, None),  # a stop set: the address is fine, the date decides
        (True, LEAVES, LEAVES - dt.timedelta(days=1), "start_on"),  # the day before they leave
        (True, LEAVES, LEAVES, None),  # they leave that day, the next starts that day
        (True, LEAVES, LEAVES + dt.timedelta(days=1), None),
    ],
)
def test_another_customers_service_there_is_refused_until_their_stop(occupied, leaves_on, start_on, refused_on):
    refusal = occupied_refusal(occupied, leaves_on, start_on)
    assert (refusal.field if refusal else None) == refused_on
    if refused_on == "start_on":
        assert "Dec 14, 2026" in refusal.message and refusal.code == "occupied_until"
