"""The bulk actions' plans: pure functions over the cut-off list, whose fingerprint changes when the list does."""

import dataclasses
import datetime as dt

from portal.accounts.models import Account, Customer, Premise, WorkOrder, WorkOrderKind
from portal.accounts.policy import Policy
from portal.staff import confirm, cutoff, rules

DAY = dt.date(2026, 12, 8)
POLICY = Policy()


def row(account_id: int, *codes: str, email: str | None = "a@example.com", cents: int = 12_000, order=None):
    account = Account(id=account_id, number=f"10000{account_id:03d}1", premise_id=account_id)
    customer = Customer(id=account_id, first_name="Person", last_name=str(account_id), email=email)
    premise = Premise(id=account_id, address=f"{account_id} Oak St", route="R1")
    decision = rules.CutoffDecision(
        account_id,
        not codes,
        tuple(f"because {c}" for c in codes),
        codes,
        needs_notice="no_notice" in codes,
        needs_courtesy_call="no_courtesy" in codes,
    )
    return cutoff.Row(account, customer, premise, cents, 45, decision, order, None)


def listing(*rows, refusal=None) -> cutoff.CutoffList:
    return cutoff.CutoffList(DAY, refusal, list(rows))


def test_notices_go_to_those_without_one_by_email_or_letter_and_never_to_held_accounts() -> None:
    plan = cutoff.notice_plan(
        POLICY,
        listing(
            row(1, "no_notice", "no_courtesy"),
            row(2, "no_notice", email=None),
            row(3, "no_notice", "medical"),
            row(4, "no_courtesy"),
            row(5, "no_notice", cents=100),
        ),
        texts=True,
    )
    assert [(i.key, i.detail) for i in plan.items] == [(1, "email"), (2, "letter")]
    assert (plan.count("email"), plan.count("letter")) == (1, 1)


def test_orders_go_to_the_eligible_without_an_open_order_and_none_on_a_refused_day() -> None:
    rows = (row(1), row(2, order=77), row(3, "medical"))
    assert [i.key for i in cutoff.orders_plan(listing(*rows)).items] == [1]
    refused = cutoff.orders_plan(listing(*rows, refusal="No disconnections on Fridays."))
    assert refused.items == () and refused.refusal == "No disconnections on Fridays."


def test_the_recheck_cancels_orders_of_accounts_that_no_longer_qualify_with_the_reason() -> None:
    kept, held = row(1), row(2, "medical")
    orders = [
        (WorkOrder(id=10 + r.account.id, account_id=r.account.id, kind=WorkOrderKind.DISCONNECT), r.account, r.customer)
        for r in (kept, held)
    ]
    paid = row(3)
    orders.append((WorkOrder(id=13, account_id=3, kind=WorkOrderKind.DISCONNECT), paid.account, paid.customer))
    plan = cutoff.recheck_plan(listing(kept, held), orders)
    assert [i.key for i in plan.items] == [12, 13]
    assert "because medical" in plan.items[0].detail and "paid" in plan.items[1].detail


def test_the_fingerprint_changes_with_the_accounts_or_the_amounts() -> None:
    base = cutoff.orders_plan(listing(row(1), row(2)))
    assert base.fingerprint == cutoff.orders_plan(listing(row(1), row(2))).fingerprint
    assert base.fingerprint != cutoff.orders_plan(listing(row(1))).fingerprint
    assert base.fingerprint != cutoff.orders_plan(listing(row(1), row(2, cents=5_000))).fingerprint
    confirm.check(base, None)  # no fingerprint given (the CLI): runs as computed
    confirm.check(base, base.fingerprint)
    try:
        confirm.check(base, "0" * 32)
    except confirm.StalePlan as stale:
        assert stale.plan is base
    else:
        raise AssertionError("a stale fingerprint must refuse")


def test_reasons_are_grouped_under_the_most_decisive_one_in_the_rule_order() -> None:
    groups = cutoff.reason_groups(
        listing(row(1), row(2, "no_notice", "medical"), row(3, "no_courtesy"), row(4, "medical"), row(5, "no_courtesy"))
    )
    assert [(g.code, [r.account.id for r in g.rows]) for g in groups] == [("medical", [2, 4]), ("no_courtesy", [3, 5])]
    day_off = cutoff.reason_groups(listing(row(1), refusal="No disconnections on Fridays."))
    assert [(g.code, len(g.rows)) for g in day_off] == [("day", 1)]


def test_the_same_plan_in_another_order_has_the_same_fingerprint() -> None:
    # two accounts at one address may come back in either order between the preview and the confirm
    forward = cutoff.orders_plan(listing(row(1), row(2)))
    backward = cutoff.orders_plan(listing(row(2), row(1)))
    assert [i.key for i in forward.items] != [i.key for i in backward.items]
    assert forward.fingerprint == backward.fingerprint


def test_a_notice_asks_only_for_the_past_due_beyond_the_open_disputes() -> None:
    disputed = row(1, "no_notice", cents=30_000)
    disputed = dataclasses.replace(disputed, disputed_cents=10_000)
    assert disputed.due_cents == 20_000
    plan = cutoff.notice_plan(POLICY, listing(disputed), texts=True)
    assert [(i.key, i.amount_cents) for i in plan.items] == [(1, 20_000)]
    # what is left after the dispute is under the minimum: no notice (the threshold is on what is asked for)
    small = row(2, "no_notice", cents=30_000)
    small = dataclasses.replace(small, disputed_cents=30_000 - rules.cutoff_minimum_cents(POLICY) + 1)
    assert cutoff.notice_plan(POLICY, listing(small), texts=True).items == ()
