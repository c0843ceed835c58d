"""What several staff screens share: the account behind a URL, the account page, and the address search that starts
a start or a move of service."""

from __future__ import annotations

import datetime as dt

from litestar import Request
from litestar.response import Template

from portal import mail
from portal.accounts import access, confirmations, payments, photo_access, tenancy
from portal.accounts.models import Account, AdjustmentStatus, Premise, ServiceRequest
from portal.accounts.policy import Policy
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web.deps import DbSession
from portal.web.flash import flash
from portal.web.forms import AddressSearchForm, filled

from .. import navigation, services, strip
from ..forms import MedicalAlertForm, NoteForm


async def staff_account(request: Request, db_session: DbSession, number: str) -> Account:
    return await access.account_for(db_session, request.user.id, request.user.role, number)


async def confirm_request(request: Request, db_session: DbSession, settings: Settings, asked: ServiceRequest) -> None:
    """The customer's written confirmation of a request a CSR took, and a word to the CSR on whether it went."""
    if await confirmations.request_received(
        db_session, mail.OUTBOX, asked, phone=settings.utility_phone, emergency_phone=settings.emergency_phone
    ):
        flash(request, _("A confirmation was emailed to the customer."), "info")
    else:
        flash(request, _("No email address on file: no confirmation was sent, so read the details to the customer."))


async def account_page(
    request: Request,
    db_session: DbSession,
    today: dt.date,
    policy: Policy,
    account: Account,
    status_code: int = 200,
    **forms: object,
) -> Template:
    view = await services.account_view(db_session, account, today)
    context = {
        "view": view,
        "strip": await strip.load_strip(
            db_session,
            policy,
            account,
            view.summary.customer,
            view.arrears,
            view.summary.last_bill.due_date if view.summary.last_bill else None,
            today,
            drafts=view.drafts,
            extensions=[(e.status, e.promised_on) for e in view.extensions],
            arrangements=[
                (plan.status, [line.due_on for line in view.arrangement_lines[plan.id]]) for plan in view.arrangements
            ],
            pending_adjustments_cents=[
                a.amount_cents for a in view.adjustments if a.status == AdjustmentStatus.PENDING_APPROVAL
            ],
        ),
        "medical": await services.medical_standing(db_session, policy, account, today, view.arrears),
        "today": today,
        "method_label": payments.method_label,
        "actions": navigation.account_actions(request.user.role, account),
        "note_form": NoteForm(),
        "photos_by_order": await photo_access.photos_of_orders(db_session, [o.id for o in view.orders]),
        "medical_form": MedicalAlertForm(),
        **forms,
    }
    return Template("staff/account.html", context=context, status_code=status_code)


async def address_search(
    db_session: DbSession, q: str | None, zip_code: str | None
) -> tuple[AddressSearchForm, list[Premise], int]:
    """The address search form, its results and the status to show them with (nothing searched yet: no results)."""
    search = AddressSearchForm(data={"q": q or "", "zip": zip_code or ""})
    if q is None:
        return search, [], 200
    if not search.validate():
        return search, [], 400
    return (
        search,
        await tenancy.find_premises(db_session, filled(search.q.data), search.zip.data or None, limit=20),
        200,
    )
