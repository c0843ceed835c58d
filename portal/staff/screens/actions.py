"""Collections referral, arrangements, balance transfer, deposit actions, the after-hours restore and the stop
of service, from the account page. Each posts and comes back to the page; a refusal shows its reason and changes
nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, Request, post
from litestar.response import Redirect

from portal.accounts import cases, numbers, reconnect, tenancy
from portal.accounts import collections as agency
from portal.accounts.errors import DomainError
from portal.accounts.models import PlacementStatus
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.web import clock, guards, params
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import account_actions, case_form
from ._pages import confirm_request, staff_account


class AccountActionController(Controller):
    path = "/staff/accounts/{number:str}"
    guards = [guards.staff]

    @post("/cases", name="staff.account.case_open")
    async def open_case(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        form = case_form.opening(data)
        placement = await agency.placement_of(db_session, account.id)
        placed = placement is not None and placement.status == PlacementStatus.PLACED
        case = await cases.open_case(db_session, actor, policy, account, today=today, **form)
        if placed and case.kind == "bankruptcy":  # the automatic stay recalled it (cases.open_case)
            flash(
                request,
                _(
                    "Case %(id)s opened. The account was recalled from the collection agency (automatic stay).",
                    id=case.id,
                ),
                "success",
            )
        else:
            flash(request, _("Case %(id)s opened.", id=case.id), "success")
        return redirect_to("staff.case", case_id=case.id)

    @post("/collections", name="staff.account.collections")
    async def collections(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        reason = str((await request.form()).get("reason", ""))
        await account_actions.refer_to_collections(db_session, actor, account, reason, today)
        flash(request, _("Referred to collections."), "success")
        return redirect_to("staff.account", number=account.number, anchor="actions")

    @post("/arrangements", name="staff.account.arrangement")
    async def arrangement(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        raw = str(data.get("instalments", ""))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
            raise DomainError(
                _("Choose from 1 to %(max)d instalments.", max=policy.arrangement_max_instalments),
                field="instalments",
            )
        plan = await account_actions.grant_arrangement(
            db_session,
            actor,
            policy,
            account,
            instalments=int(raw),
            reason=str(data.get("reason", "")),
            today=today,
        )
        flash(
            request,
            _(
                "Arrangement granted: %(down)s down, then %(count)d monthly instalments.",
                down=format_money(plan.down_payment_cents),
                count=len(plan.instalments),
            ),
            "success",
        )
        return redirect_to("staff.account", number=account.number, anchor="plans")

    @post("/transfer", name="staff.account.transfer")
    async def transfer(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, number: FromPath[str]
    ) -> Redirect:
        source = await staff_account(request, db_session, number)
        data = await request.form()
        target = await staff_account(request, db_session, str(data.get("target", "")))
        reason = str(data.get("reason", ""))
        amount = await account_actions.transfer_balance(db_session, actor, source, target, reason, today)
        flash(
            request,
            _(
                "%(amount)s moved to account %(number)s.",
                amount=format_money(amount),
                number=numbers.display(target.number),
            ),
            "success",
        )
        return redirect_to("staff.account", number=source.number, anchor="ledger")

    @post("/deposit/waive", name="staff.account.deposit_waive")
    async def waive_deposit(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        letter = str((await request.form()).get("letter", ""))
        await account_actions.waive_deposit(db_session, actor, account, letter, today)
        flash(request, _("Deposit waived."), "success")
        return redirect_to("staff.account", number=account.number, anchor="deposit")

    @post("/deposit/apply", name="staff.account.deposit_apply")
    async def apply_deposit(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        amount = await account_actions.apply_deposit(db_session, actor, account, today)
        flash(request, _("Deposit of %(amount)s applied to the balance.", amount=format_money(amount)), "success")
        return redirect_to("staff.account", number=account.number, anchor="deposit")

    @post("/restore-after-hours", name="staff.account.restore_after_hours")
    async def restore_after_hours(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        """The customer paid and wants service back tonight: the restore moves to today at the after-hours fee."""
        account = await staff_account(request, db_session, number)
        now_local = clock.now().astimezone(ZoneInfo(settings.timezone))
        order = await reconnect.restore_after_hours(db_session, actor, policy, account, now_local=now_local)
        flash(
            request,
            _(
                "Restore order %(id)s is due tonight; the after-hours reconnection fee of %(fee)s replaces the usual one.",
                id=order.id,
                fee=format_money(policy.reconnect_after_hours_fee_cents),
            ),
            "success",
        )
        return redirect_to("staff.account", number=account.number, anchor="orders")

    @post("/stop", name="staff.account.stop")
    async def stop(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        """Stop service for the customer at the counter or on the phone: the same request the resident side makes."""
        account = await staff_account(request, db_session, number)
        data = await request.form()
        try:
            stop_on = params.parse_date(data.get("stop_on", ""))
        except params.BadValue:
            raise DomainError(_("Give the stop date as YYYY-MM-DD."), field="stop_on") from None
        forwarding = str(data.get("forwarding_address", ""))
        asked = await tenancy.stop_service(
            db_session, actor, policy, account, stop_on=stop_on, forwarding_address=forwarding, today=today
        )
        flash(
            request,
            _("Stop of service requested for %(date)s; the final read is ordered.", date=format_date(stop_on)),
            "success",
        )
        await confirm_request(request, db_session, settings, asked)
        return redirect_to("staff.account", number=account.number, anchor="orders")
