"""Who a new order goes to (portal/accounts/routes.assignee_for) and the order dispatch lists orders in."""

from portal.accounts.models import Role
from portal.accounts.routes import Owner, assignee_for
from portal.staff.dispatch import urgency


def test_assignee_is_the_routes_owner_when_the_creator_chose_nobody() -> None:
    assert assignee_for(None, Owner(7, Role.FIELD, active=True)) == 7


def test_assignee_is_the_person_the_creator_chose_over_the_routes_owner() -> None:
    assert assignee_for(3, Owner(7, Role.FIELD, active=True)) == 3


def test_assignee_is_nobody_on_a_route_without_an_owner() -> None:
    assert assignee_for(None, None) is None


def test_assignee_is_nobody_when_the_owner_left_or_is_no_technician() -> None:
    assert assignee_for(None, Owner(7, Role.FIELD, active=False)) is None
    assert assignee_for(None, Owner(7, Role.CSR, active=True)) is None


def test_dispatch_lists_unassigned_then_overdue_then_the_rest() -> None:
    ranks = [urgency(True, True), urgency(True, False), urgency(False, True), urgency(False, False)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
