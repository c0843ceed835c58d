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
