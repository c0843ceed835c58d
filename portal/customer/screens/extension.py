"""A payment extension: the resident's standing, the rules in words, and asking for one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import confirmations, extensions
from portal.accounts.policy import Policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import forms
from .common import form_page, in_view


async def _context(request: Request, db_session: Any, policy: Policy, today: dt.date, **more: Any) -> dict[str, Any]:
    accounts, current = await in_view(request, db_session)
    return {
        "accounts": accounts,
        **await extensions.standing(db_session, policy, current, today),
        **more,
    }


class ExtensionController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/extension", name="customer.extension")
    async def extension_page(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy
    ) -> Template:
        context = await _context(request, db_session, policy, today)
        context["form"] = forms.ResidentExtensionForm(data={"promised_on": context["verdict"].latest_promise_on})
        return Template("customer/extension.html", context=context)

    @post("/extension", name="customer.extension.ask")
    async def extension(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> Template | Redirect:
        form = await forms.ResidentExtensionForm.from_request(request)
        if not form.validate():
            return form_page("customer/extension.html", await _context(request, db_session, policy, today, form=form))
        _accounts, current = await in_view(request, db_session)
        promised_on = filled(form.promised_on.data)
        if form.use_latest.data:
            standing = await extensions.standing(db_session, policy, current, today)
            promised_on = standing["verdict"].latest_promise_on
        try:
            result = await extensions.request(
                db_session,
                actor,
                policy,
                current,
                promised_on=promised_on,
                today=today,
                review_date=bool(form.review.data),
            )
        except extensions.ExtensionRefused as exc:
            form.add_error("promised_on", exc.message)
            context = await _context(request, db_session, policy, today, form=form)
            context["date_limit"] = exc.code == "date_limit"  # offers the choice: an earlier date, or a review
            return form_page("customer/extension.html", context)
        await confirmations.extension_answered(db_session, mail.OUTBOX, result.extension, phone=settings.utility_phone)
        if result.granted:
            flash(
                request,
                _(
                    "Extension granted: pay %(amount)s by %(date)s. Your service will not be cut off for this balance until then.",
                    amount=format_money(result.extension.amount_cents),
                    date=format_date(result.extension.promised_on),
                ),
                "success",
            )
        else:
            flash(
                request,
                _(
                    "Your request was sent to our staff for review, because: %(reason)s We will contact you within one business day.",
                    reason=result.eligibility.reason_text,
                ),
                "info",
            )
        return redirect_to("customer.extension")

    @post("/extension/withdraw", name="customer.extension.withdraw")
    async def withdraw(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, actor: CurrentActor
    ) -> Redirect:
        """A request still waiting for review is the resident's to take back (paid meanwhile, or asked by mistake);
        a granted extension is not: it is what holds the service on."""
        _accounts, current = await in_view(request, db_session)
        waiting = await extensions.waiting_for_review(db_session, current.id)
        if waiting is not None and await extensions.cancel(
            db_session, actor, waiting, reason=_("Withdrawn by the customer."), today=today
        ):
            flash(request, _("Your request for more time was withdrawn."), "success")
        else:
            flash(request, _("There is no request waiting for review on this account."), "info")
        return redirect_to("customer.extension")
