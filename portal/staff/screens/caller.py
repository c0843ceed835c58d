"""Acting for a caller or a walk-in: the payment extension and the problem report the resident would file online,
filed by a CSR through the same services (portal.accounts.extensions, portal.accounts.problems), the audit row
saying "by <CSR> for the customer, by phone" or "at the counter"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import confirmations, extensions, problems
from portal.accounts.models import Account, Premise
from portal.accounts.policy import Policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.photo_store import photo_store, problem_photo
from portal.web.urls import redirect_to

from ..caller_forms import CallerExtensionForm, CallerProblemForm
from ._pages import confirm_request, staff_account


async def _page(
    db: AsyncSession,
    policy: Policy,
    account: Account,
    today: dt.date,
    *,
    extension: CallerExtensionForm | None = None,
    problem: CallerProblemForm | None = None,
    status_code: int = 200,
) -> Template:
    standing: dict[str, Any] = await extensions.standing(db, policy, account, today)
    return Template(
        "staff/caller.html",
        context={
            **standing,
            "premise": await db.get(Premise, account.premise_id),
            "extension_form": extension
            or CallerExtensionForm(data={"promised_on": standing["verdict"].latest_promise_on}),
            "problem_form": problem or CallerProblemForm(),
        },
        status_code=status_code,
    )


class CallerController(Controller):
    path = "/staff/accounts/{number:str}/for-customer"
    guards = [guards.staff]

    @get("/", name="staff.caller")
    async def page(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, number: FromPath[str]
    ) -> Template:
        account = await staff_account(request, db_session, number)
        return await _page(db_session, policy, account, today)

    @post("/extension", name="staff.caller.extension")
    async def extension(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        settings: AppSettings,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await CallerExtensionForm.from_request(request)
        if form.validate():
            try:
                result = await extensions.request(
                    db_session,
                    actor.for_customer(filled(form.channel.data)),
                    policy,
                    account,
                    promised_on=filled(form.promised_on.data),
                    today=today,
                )
            except extensions.ExtensionRefused as exc:
                form.add_error("promised_on", exc.message)
            else:
                await confirmations.extension_answered(
                    db_session, mail.OUTBOX, result.extension, phone=settings.utility_phone
                )
                if result.granted:
                    flash(
                        request,
                        _(
                            "Extension granted: %(amount)s by %(date)s. Tell the customer service will not be cut off for this balance until then.",
                            amount=format_money(result.extension.amount_cents),
                            date=format_date(result.extension.promised_on),
                        ),
                        "success",
                    )
                else:
                    flash(
                        request,
                        _(
                            "The request is in the review queue, because: %(reason)s",
                            reason=result.eligibility.reason_text,
                        ),
                        "info",
                    )
                return redirect_to("staff.account", number=account.number, anchor="plans")
        return await _page(db_session, policy, account, today, extension=form, status_code=400)

    @post("/problem", name="staff.caller.problem")
    async def problem(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await CallerProblemForm.from_request(request)
        ok = form.validate()
        photo, photo_ok = await problem_photo(request, policy, form)
        if not (ok and photo_ok):
            return await _page(db_session, policy, account, today, problem=form, status_code=400)
        report = await problems.report_problem(
            db_session,
            actor.for_customer(filled(form.channel.data)),
            policy,
            account,
            kind=filled(form.kind.data),
            description=filled(form.description.data),
            phone=(form.phone.data or "").strip() or None,
            today=today,
            photo=photo,
            photo_store=photo_store(request.app, settings) if photo is not None else None,
            keep_photo_location=bool(form.share_location.data),
        )
        flash(request, _("Problem reported: crew order %(id)s.", id=report.problem_order_id), "success")
        await confirm_request(request, db_session, settings, report)
        return redirect_to("staff.account", number=account.number, anchor="orders")
