"""What a payment, return or refund posted now is dated: the business date on the utility's clock, not UTC's (on a
Central-time evening the UTC date is already tomorrow, and the resident's balance as of today there would not count
a refund dated tomorrow)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from portal.payments.services import Context


def test_the_date_is_the_utilitys_not_utcs() -> None:
    ahead = Context(None, "Pacific/Kiritimati", "", "", None, None)  # type: ignore[arg-type]  # UTC+14
    behind = dataclasses.replace(ahead, timezone="Pacific/Pago_Pago")  # UTC-11: always another date than +14
    assert ahead.today() != behind.today()
    for ctx in (ahead, behind):
        assert ctx.today() in {dt.datetime.now(ZoneInfo(ctx.timezone)).date() + dt.timedelta(days=d) for d in (-1, 0)}
