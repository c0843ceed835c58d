"""The phone's read check (static/js/field/readcheck.js) flags exactly what the server's rule flags, for the numbers
the server sends with each order. Runs the module in Node (skipped where Node is missing)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.accounts.policy import Policy
from portal.accounts.reads import MeterFacts, ReadHistory, ceiling_per_day, check_read

MODULE = Path(__file__).resolve().parents[2] / "portal" / "static" / "js" / "field" / "readcheck.js"
POLICY = Policy()
LAST = dt.datetime(2026, 10, 27, 15, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)


def cases() -> list[dict]:
    out = []
    # Electric and gas meters: the same rule without water's size ceiling (the server sends none for them).
    for size, dials, multiplier, kind in [
        ("5/8", 6, 1, "water"),
        ("2", 7, 10, "water"),
        ("", 6, 1, "electric"),
        ("", 5, 10, "gas"),
    ]:
        for average in (None, 0.0, 200.0, 5_000.0):
            for previous in (0, 100_000, 999_000):
                for value in (0, 1_000, 100_500, 101_800, 106_000, 115_000, 115_001, 300_000, 999_999):
                    out.append(
                        {
                            "size": size,
                            "dials": dials,
                            "multiplier": multiplier,
                            "kind": kind,
                            "average": average,
                            "previous": previous,
                            "value": value,
                        }
                    )
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_phone_flags_reads_exactly_as_the_server_does(tmp_path: Path) -> None:
    items = cases()
    orders = [
        {
            "meter": {"dials": c["dials"], "multiplier": c["multiplier"]},
            "reads": {
                "previous": c["previous"],
                "previous_at": LAST.isoformat(),
                "average_daily": c["average"],
                "ceiling_daily": ceiling_per_day(POLICY, MeterFacts(c["size"], c["dials"], c["multiplier"], c["kind"])),
                "high_factor": POLICY.high_read_factor,
                "low_factor": POLICY.low_read_factor,
            },
        }
        for c in items
    ]
    script = tmp_path / "run.mjs"
    script.write_text(
        f"import {{ checkRead }} from {json.dumps(MODULE.as_uri())};\n"
        f"const orders = {json.dumps(orders)};\nconst values = {json.dumps([c['value'] for c in items])};\n"
        f"const at = new Date({json.dumps(NOW.isoformat())});\n"
        "console.log(JSON.stringify(orders.map((o, i) => checkRead(o, values[i], at).flags)));\n"
    )
    phone = json.loads(
        subprocess.run(["node", str(script)], capture_output=True, text=True, check=True, timeout=60).stdout
    )
    for case, flags in zip(items, phone, strict=True):
        server = check_read(
            POLICY,
            MeterFacts(case["size"], case["dials"], case["multiplier"], case["kind"]),
            ReadHistory(case["previous"], LAST, case["average"]),
            case["value"],
            NOW,
        )
        assert list(server.flags) == flags, case


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_phone_asks_for_a_read_again_exactly_when_the_server_would_refuse_it(tmp_path: Path) -> None:
    from portal.field.rules import needs_confirmation

    cases = [
        (kind, flags)
        for kind in ("record_read", "disconnect_done", "restore_done", "complete_order")
        for flags in ([], ["low"], ["high"], ["negative"], ["negative", "rollover"])
    ]
    script = tmp_path / "confirm.mjs"
    script.write_text(
        f"import {{ needsConfirmation }} from {json.dumps(MODULE.as_uri())};\n"
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([kind, flags]) => needsConfirmation(kind, flags))));\n"
    )
    phone = json.loads(
        subprocess.run(["node", str(script)], capture_output=True, text=True, check=True, timeout=60).stdout
    )
    assert phone == [needs_confirmation(kind, flags) for kind, flags in cases]
    assert needs_confirmation("disconnect_done", ["low"]) and not needs_confirmation("restore_done", ["low"])


def test_electric_and_gas_reads_are_checked_against_history_in_their_own_units() -> None:
    history = ReadHistory(10_000, LAST, 30.0)  # 30 kWh a day: 900 expected in 30 days
    electric = MeterFacts("", 6, 1, "electric", "kWh")
    high = check_read(POLICY, electric, history, 10_000 + 2_400, NOW)  # 2,400 > 2.5 x 900
    assert high.flags == ("high",) and "2,400 kWh in 30 days" in high.reason
    low = check_read(POLICY, electric, history, 10_000 + 200, NOW)  # 200 < 0.3 x 900
    assert low.flags == ("low",) and "200 kWh" in low.reason
    assert check_read(POLICY, electric, history, 10_000 + 900, NOW).flags == ()
    # No size ceiling: 20,000 kWh a day would be far past a 5/8" water meter's, but without history nothing flags it.
    assert check_read(POLICY, electric, ReadHistory(10_000, LAST, None), 10_000 + 600_000, NOW).flags == ()
    gas = MeterFacts("", 5, 1, "gas", "therm")
    wrapped = check_read(POLICY, gas, ReadHistory(99_950, LAST, 2.0), 10, NOW)  # 5 dials wrap: 60 therms
    assert wrapped.flags == ("negative", "rollover") and wrapped.usage == 60 and "60 therms" in wrapped.reason
    assert ceiling_per_day(POLICY, gas) is None and ceiling_per_day(POLICY, MeterFacts("5/8", 6, 1)) == 14_400
