"""Every action the app audits reads as a sentence on the account's history: the action codes are collected from the
source (the literal codes passed to audit.record, an audit batch's add, record_many's dicts), so a new code without a
sentence fails here instead of showing as a code made readable."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from portal.accounts.models import ArrangementStatus, BankDraftStatus
from portal.staff.history import SENTENCES

PORTAL = Path(__file__).resolve().parents[2] / "portal"
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# Codes built at run time, and what they can be: a new f-string code must be added here (and given sentences).
BUILT = {
    "arrangement.{outcome.status}": [f"arrangement.{s}" for s in ArrangementStatus if s != ArrangementStatus.ACTIVE],
    "bank_draft.{status.value}": [f"bank_draft.{s}" for s in BankDraftStatus],
    "extension.{status.value}": ["extension.kept", "extension.broken"],  # what extensions.outcome gives
}


def _action_args(tree: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if name == "record" and len(node.args) >= 3:
                found.append(node.args[2])
            elif name == "add" and receiver.endswith("audit") and node.args:
                found.append(node.args[0])
            found.extend(kw.value for kw in node.keywords if kw.arg == "action")
        elif isinstance(node, ast.Dict):
            found.extend(
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "action"
            )
    return found


def recorded_actions() -> set[str]:
    actions: set[str] = set()
    for path in PORTAL.rglob("*.py"):
        for arg in _action_args(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CODE.match(arg.value):
                actions.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                template = ast.unparse(arg)[2:-1]
                assert template in BUILT, f"{path.name}: say what {template!r} can be in BUILT"
                actions.update(BUILT[template])
    return actions


def test_every_recorded_action_has_a_sentence() -> None:
    actions = recorded_actions()
    assert {"work_order.complete", "receipt.create", "extension.kept", "case.discharge"} <= actions
    missing = sorted(a for a in actions if a not in SENTENCES and a != "ledger.post")  # ledger.post: its own words
    assert not missing, missing


def test_a_line_says_how_much_which_day_and_for_whom() -> None:
    """The walk of the console found "Took a payment at the counter" with no amount, "Asked to stop service" with no
    day, a phone extension with neither, and no word that the CSR acted for a caller."""
    import datetime as dt

    from portal.accounts.models import AuditEvent, Origin
    from portal.staff.history import history_line

    def line(action: str, after: dict, label: str = "csr1@riverton.example", before: dict | None = None) -> tuple:
        event = AuditEvent(
            action=action,
            after=after,
            before=before,
            actor_label=label,
            actor_id=7,
            origin=Origin.WEB,
            at=dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC),
        )
        found = history_line(event, "Angela Ruiz")
        return found.who, found.what

    assert line("receipt.create", {"tender": "cash", "amount_cents": 10_000}) == (
        "Angela Ruiz",
        "Took a payment at the counter: $100.00, Cash",
    )
    assert line(
        "extension.queue",
        {"amount_cents": 8_400, "promised_on": "2026-12-14"},
        "csr1@riverton.example for the customer, by phone",
    ) == ("Angela Ruiz, for the customer by phone", "Asked for a payment extension: $84.00 by Dec 14, 2026")
    assert line("request.stop", {"stop_on": "2026-12-15"})[1] == "Asked to stop service: stop on Dec 15, 2026"
    moved = line("request.move", {"stop_on": "2026-12-15", "start_on": "2026-12-16"})[1]
    assert moved == "Asked to move service: stop on Dec 15, 2026, start on Dec 16, 2026"
    changed = line("customer.mailing_address", {"mailing_address": "9 New Rd"}, before={"mailing_address": "1 Old St"})
    assert changed[1] == "Changed the mailing address (Mailing address: 1 Old St → 9 New Rd)"


def test_a_field_note_is_read_in_the_history() -> None:
    import datetime as dt

    from portal.accounts.models import AuditEvent, Origin
    from portal.staff.history import history_line

    event = AuditEvent(
        action="work_order.note",
        after={"note": "Leak on the city side"},
        actor_label="tech1@riverton.example",
        actor_id=3,
        origin=Origin.SYNC,
        at=dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC),
    )
    assert history_line(event, "Luis Ortega").what == "Added a note to a work order: “Leak on the city side”"
