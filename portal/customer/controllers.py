"""Resident pages: the public landing page and everything a signed-in resident does with their accounts.

Every form posts and answers with a 303 redirect (or the form again with an error summary); every page finds the
account through the login's links, so another resident's account answers "not found".
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from portal.accounts import access, deposits, extensions, photos, summary, tenancy, throttle
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Account, AccountClass, Premise
from portal.accounts.policy import Policy, current_policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards, params
from portal.web.charts import ChartPoint, bar_chart
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import actor_of, client_ip
from portal.web.middleware import LANG_COOKIE
from portal.web.urls import redirect_to, url

from . import forms, services
from .services import SESSION_ACCOUNT

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
FLOW = "flow"
FLOW_KINDS = ("start", "move")


def _see_other(path: str, **kwargs: Any) -> Redirect:
    """After a POST (and for flow steps): 303, so the browser fetches the next page with GET."""
    return Redirect(path, status_code=303, **kwargs)


def local_today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def _policy() -> Policy:
    return current_policy()


@get("/", name="landing")
async def landing(request: Request) -> Template | Redirect:
    if request.user is not None:
        return redirect_to(request.user.home_route)
    return Template("customer/landing.html")


async def _in_view(request: Request, db_session: Any) -> tuple[list[Account], Account]:
    accounts, current = await services.accounts_in_view(
        db_session, request.user.id, request.session.get(SESSION_ACCOUNT)
    )
    if current is None:
        raise NotFound(_("No account is linked to your login yet."))
    return accounts, current


def _form_page(template: str, context: dict[str, Any], status: int = 400) -> Template:
    return Template(template, context=context, status_code=status)


class MyAccountController(Controller):
    path = "/my"
    guards = [guards.customer]

    # ---- home and accounts -------------------------------------------------------------------------------------

    @get("/", name="customer.home")
    async def home(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
        accounts, current = await services.accounts_in_view(
            db_session, request.user.id, request.session.get(SESSION_ACCOUNT)
        )
        if current is None:
            return Template("customer/home.html", context={"accounts": [], "view": None, "premises": {}})
        view = await services.home(db_session, _policy(), current, local_today(settings), dt.datetime.now(dt.UTC))
        return Template(
            "customer/home.html",
            context={"accounts": accounts, "view": view, "premises": await services.premises_of(db_session, accounts)},
        )

    @post("/accounts/switch", name="customer.switch")
    async def switch(self, request: Request, db_session: DbSession) -> Redirect:
        number = str((await request.form()).get("account", ""))
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        request.session[SESSION_ACCOUNT] = account.number
        home = url(request, "customer.home")
        target = str((await request.form()).get("next") or home)
        return _see_other(target if target.startswith(home) and not target.startswith("//") else home)

    @get("/accounts/{number:str}", name="customer.account")
    async def account(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        return Template(
            "customer/account.html",
            context={
                "summary": await summary.summarize(db_session, account),
                "lines": await summary.ledger_with_running_balance(db_session, account.id, limit=12),
            },
        )

    @get("/link", name="customer.link")
    async def link_page(self) -> Template:
        return Template("customer/link.html", context={"form": forms.LinkAccountForm()})

    @post("/link", name="customer.link.submit")
    async def link(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await forms.LinkAccountForm.from_request(request)
        if not form.validate():
            return _form_page("customer/link.html", {"form": form})
        maker = request.app.state.sessionmaker
        ip = client_ip(request)
        number = "".join(ch for ch in form.account_number.data if "0" <= ch <= "9")
        # The same buckets as sign-up: a person cannot get more guesses by asking from inside a login.
        if (
            await throttle.is_limited(maker, "link_fail_ip", ip, limit=10, window=HOUR)
            or await throttle.is_limited(maker, "link_fail_acct", number, limit=6, window=DAY)
            or await throttle.is_limited(maker, "link_fail_user", str(request.user.id), limit=10, window=DAY)
        ):
            form.add_error(
                "account_number", _("Too many tries. For your security, wait and try again tomorrow, or call us.")
            )
            return _form_page("customer/link.html", {"form": form}, 429)
        account = await access.match_account(db_session, number, form.zip_code.data, form.last_name.data)
        if account is None:
            await throttle.hit(maker, "link_fail_ip", ip)
            await throttle.hit(maker, "link_fail_acct", number)
            await throttle.hit(maker, "link_fail_user", str(request.user.id))
            form.add_error(
                "account_number",
                _(
                    "We could not match those details. Check the account number, the service ZIP code and the last name as they appear on your bill."
                ),
            )
            return _form_page("customer/link.html", {"form": form})
        if await services.link_account(db_session, actor_of(request), request.user.id, account):
            flash(
                request,
                _("Account linked. You are now looking at it; switch accounts at the top of the home page."),
                "success",
            )
        else:
            flash(request, _("That account was already linked to your login."), "info")
        request.session[SESSION_ACCOUNT] = account.number
        return redirect_to("customer.home")

    # ---- bills and usage ---------------------------------------------------------------------------------------

    @get("/bills", name="customer.bills")
    async def bills(self, request: Request, db_session: DbSession) -> Template:
        accounts, current = await _in_view(request, db_session)
        return Template(
            "customer/bills.html",
            context={"accounts": accounts, "account": current, "bills": await services.bills(db_session, current.id)},
        )

    @get("/usage", name="customer.usage")
    async def usage(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
        accounts, current = await _in_view(request, db_session)
        months = await services.usage_months(db_session, current, local_today(settings))
        points = [
            ChartPoint(
                format_date(m.month, "MMM"),
                format_date(m.month, "MMMM yyyy"),
                m.gallons,
                highlight=index == len(months) - 1,
                estimated=m.estimated,
                previous=m.last_year,
            )
            for index, m in enumerate(months)
        ]
        chart = bar_chart(
            points,
            title=_("Water use by month, last %(count)s months", count=len(points)),
            unit=_("gallons"),
            width=600,
            height=220,
        )
        latest = months[-1] if months else None
        return Template(
            "customer/usage.html",
            context={
                "accounts": accounts,
                "account": current,
                "chart": chart,
                "months": list(reversed(months)),
                "latest": latest,
            },
        )

    # ---- start / move flow (one question per page) -------------------------------------------------------------

    def _flow(self, request: Request, kind: str) -> dict[str, Any]:
        if kind not in FLOW_KINDS:
            raise NotFoundException()
        flow = request.session.get(FLOW)
        if not isinstance(flow, dict) or flow.get("kind") != kind:
            flow = {"kind": kind}
        return flow

    def _save_flow(self, request: Request, flow: dict[str, Any]) -> None:
        request.session[FLOW] = flow

    async def _flow_context(self, request: Request, db_session: Any, kind: str) -> dict[str, Any]:
        context: dict[str, Any] = {"kind": kind}
        if kind == "move":
            _accounts, current = await _in_view(request, db_session)
            context["from_account"] = current
            context["from_premise"] = await db_session.get(Premise, current.premise_id)
        return context

    @get("/{kind:str}", name="customer.flow")
    async def flow_start(
        self,
        request: Request,
        db_session: DbSession,
        kind: FromPath[str],
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
    ) -> Template:  # noqa: A002
        if kind not in FLOW_KINDS:
            raise NotFoundException()
        context = await self._flow_context(request, db_session, kind)
        search = forms.AddressSearchForm(data={"q": q or "", "zip": zip or ""})
        results: list[Premise] = []
        searched = q is not None
        if searched:
            if search.validate():
                results = await tenancy.find_premises(db_session, search.q.data, search.zip.data or None)
            else:
                context.update(search=search, choose=None, results=[], searched=searched)
                return Template("customer/flow_address.html", context=context, status_code=400)
        choose = forms.ChooseAddressForm()
        choose.premise_id.choices = [(p.id, p.one_line) for p in results]
        context.update(search=search, choose=choose, results=results, searched=searched)
        return Template("customer/flow_address.html", context=context)

    @post("/{kind:str}/address", name="customer.flow.address")
    async def flow_address(self, request: Request, db_session: DbSession, kind: FromPath[str]) -> Template | Redirect:
        flow = self._flow(request, kind)
        form = await forms.ChooseAddressForm.from_request(request)
        raw = (await request.form()).get("premise_id")
        premise_id = params.id_or_none(raw)
        premise = await db_session.get(Premise, premise_id) if premise_id else None
        form.premise_id.choices = [(premise.id, premise.one_line)] if premise else []
        if premise is None or not form.validate():
            context = await self._flow_context(request, db_session, kind)
            if not form.errors:
                form.add_error("premise_id", _("Choose an address from the list."))
            context.update(search=forms.AddressSearchForm(), choose=form, results=[], searched=False)
            return _form_page("customer/flow_address.html", context)
        flow["premise_id"] = premise.id
        self._save_flow(request, flow)
        return redirect_to("customer.flow.date", kind=kind)

    @get("/{kind:str}/date", name="customer.flow.date")
    async def flow_date_page(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "premise_id" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form_class = forms.MoveDatesForm if kind == "move" else forms.StartDateForm
        data = {k: dt.date.fromisoformat(flow[k]) for k in ("start_on", "stop_on") if flow.get(k)}
        context = await self._flow_context(request, db_session, kind)
        context.update(
            form=form_class(data=data),
            premise=await db_session.get(Premise, flow["premise_id"]),
            earliest=tenancy.earliest_date(_policy(), local_today(settings)),
        )
        return Template("customer/flow_date.html", context=context)

    @post("/{kind:str}/date", name="customer.flow.date.save")
    async def flow_date(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "premise_id" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form_class = forms.MoveDatesForm if kind == "move" else forms.StartDateForm
        form = await form_class.from_request(request)
        today = local_today(settings)
        ok = form.validate()
        for name in ("stop_on", "start_on"):
            date_field = getattr(form, name, None)
            if date_field is not None and date_field.data and not date_field.errors:
                problem = tenancy.date_problem(_policy(), today, date_field.data)
                if problem:
                    form.add_error(name, problem)
                    ok = False
        if not ok:
            context = await self._flow_context(request, db_session, kind)
            context.update(
                form=form,
                premise=await db_session.get(Premise, flow["premise_id"]),
                earliest=tenancy.earliest_date(_policy(), today),
            )
            return _form_page("customer/flow_date.html", context)
        flow["start_on"] = form.start_on.data.isoformat()
        if kind == "move":
            flow["stop_on"] = form.stop_on.data.isoformat()
        self._save_flow(request, flow)
        return redirect_to("customer.flow.contact", kind=kind)

    @get("/{kind:str}/contact", name="customer.flow.contact")
    async def flow_contact_page(
        self, request: Request, db_session: DbSession, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "start_on" not in flow:
            return redirect_to("customer.flow", kind=kind)
        customer = await services.customer_of(db_session, request.user.id)
        form = forms.ContactForm(
            data={
                "phone": flow.get("phone") or customer.phone,
                "email": flow.get("email") or customer.email or request.user.email,
            }
        )
        context = await self._flow_context(request, db_session, kind)
        context.update(form=form, customer=customer)
        return Template("customer/flow_contact.html", context=context)

    @post("/{kind:str}/contact", name="customer.flow.contact.save")
    async def flow_contact(self, request: Request, db_session: DbSession, kind: FromPath[str]) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "start_on" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form = await forms.ContactForm.from_request(request)
        if not form.validate():
            context = await self._flow_context(request, db_session, kind)
            context.update(form=form, customer=await services.customer_of(db_session, request.user.id))
            return _form_page("customer/flow_contact.html", context)
        flow.update(phone=form.phone.data.strip(), email=form.email.data.strip())
        self._save_flow(request, flow)
        return redirect_to("customer.flow.deposit", kind=kind)

    async def _quote(
        self,
        db_session: Any,
        flow: dict[str, Any],
        today: dt.date,
        letter: deposits.LetterOfCredit | None,
        account_class: AccountClass,
    ) -> deposits.DepositDecision:
        return await deposits.quote(
            db_session,
            _policy(),
            premise_id=flow["premise_id"],
            account_class=account_class,
            today=today,
            letter=letter,
        )

    async def _account_class(self, request: Request, db_session: Any, kind: str) -> AccountClass:
        if kind == "move":
            _accounts, current = await _in_view(request, db_session)
            return current.account_class
        return AccountClass.RESIDENTIAL

    @staticmethod
    def _letter(flow: dict[str, Any]) -> deposits.LetterOfCredit | None:
        data = flow.get("letter")
        if not data:
            return None
        return deposits.LetterOfCredit(
            data["utility"],
            dt.date.fromisoformat(data["service_from"]),
            dt.date.fromisoformat(data["service_to"]) if data.get("service_to") else None,
            int(data.get("late_payments") or 0),
            int(data.get("disconnects") or 0),
            int(data.get("returned_payments") or 0),
        )

    @get("/{kind:str}/deposit", name="customer.flow.deposit")
    async def flow_deposit_page(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        quote = await self._quote(
            db_session, flow, local_today(settings), None, await self._account_class(request, db_session, kind)
        )
        letter = flow.get("letter") or {}
        form = forms.DepositForm(
            data={
                "option": "letter" if letter else "pay",
                **{k: (dt.date.fromisoformat(v) if k.startswith("service_") and v else v) for k, v in letter.items()},
            }
        )
        context = await self._flow_context(request, db_session, kind)
        context.update(form=form, quote=quote, premise=await db_session.get(Premise, flow["premise_id"]))
        return Template("customer/flow_deposit.html", context=context)

    @post("/{kind:str}/deposit", name="customer.flow.deposit.save")
    async def flow_deposit(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form = await forms.DepositForm.from_request(request)
        if not form.validate():
            quote = await self._quote(
                db_session, flow, local_today(settings), None, await self._account_class(request, db_session, kind)
            )
            context = await self._flow_context(request, db_session, kind)
            context.update(form=form, quote=quote, premise=await db_session.get(Premise, flow["premise_id"]))
            return _form_page("customer/flow_deposit.html", context)
        if form.option.data == "letter":
            flow["letter"] = {
                "utility": form.utility.data.strip()[:120],
                "service_from": form.service_from.data.isoformat(),
                "service_to": form.service_to.data.isoformat() if form.service_to.data else None,
                "late_payments": form.late_payments.data or 0,
                "disconnects": form.disconnects.data or 0,
                "returned_payments": form.returned_payments.data or 0,
            }
        else:
            flow.pop("letter", None)
        self._save_flow(request, flow)
        return redirect_to("customer.flow.check", kind=kind)

    @get("/{kind:str}/check", name="customer.flow.check")
    async def flow_check_page(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        quote = await self._quote(
            db_session,
            flow,
            local_today(settings),
            self._letter(flow),
            await self._account_class(request, db_session, kind),
        )
        context = await self._flow_context(request, db_session, kind)
        context.update(
            flow=flow,
            quote=quote,
            premise=await db_session.get(Premise, flow["premise_id"]),
            start_on=dt.date.fromisoformat(flow["start_on"]),
            stop_on=dt.date.fromisoformat(flow["stop_on"]) if flow.get("stop_on") else None,
        )
        return Template("customer/flow_check.html", context=context)

    @post("/{kind:str}/check", name="customer.flow.submit")
    async def flow_submit(
        self, request: Request, db_session: DbSession, settings: AppSettings, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = self._flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        actor = actor_of(request)
        today = local_today(settings)
        customer = await services.customer_of(db_session, request.user.id)
        letter = self._letter(flow)
        try:
            async with db_session.begin_nested():  # a refusal leaves nothing half-written
                await services.update_contact(
                    db_session, actor, customer, email=flow.get("email"), phone=flow.get("phone")
                )
                if kind == "move":
                    _accounts, current = await _in_view(request, db_session)
                    result = await tenancy.move_service(
                        db_session,
                        actor,
                        _policy(),
                        current,
                        stop_on=dt.date.fromisoformat(flow["stop_on"]),
                        premise_id=flow["premise_id"],
                        start_on=dt.date.fromisoformat(flow["start_on"]),
                        today=today,
                        letter=letter,
                        link_user_id=request.user.id,
                    )
                else:
                    result = await tenancy.start_service(
                        db_session,
                        actor,
                        _policy(),
                        premise_id=flow["premise_id"],
                        start_on=dt.date.fromisoformat(flow["start_on"]),
                        today=today,
                        customer=customer,
                        letter=letter,
                        link_user_id=request.user.id,
                    )
        except tenancy.RequestRefused as exc:
            flash(request, exc.message, "error")
            step = {"start_on": "date", "stop_on": "date", "premise_id": "", "forwarding_address": "date"}.get(
                exc.field or "", ""
            )
            return redirect_to(f"customer.flow.{step}" if step else "customer.flow", kind=kind)
        request.session.pop(FLOW, None)
        if result.decision.required_cents:
            flash(
                request,
                _(
                    "Request received. A deposit of %(amount)s is due before service starts on %(date)s.",
                    amount=format_money(result.decision.required_cents),
                    date=format_date(result.order.due_on),
                ),
                "success",
            )
        else:
            flash(
                request,
                _(
                    "Request received. No deposit is due. Service starts on %(date)s.",
                    date=format_date(result.order.due_on),
                ),
                "success",
            )
        return redirect_to("customer.requests", anchor=f"request-{result.request.id}")

    # ---- stop --------------------------------------------------------------------------------------------------

    async def _stop_page(
        self, request: Request, db_session: Any, form: forms.StopForm | None = None, status: int = 200
    ) -> Template:
        accounts, current = await _in_view(request, db_session)
        premise = await db_session.get(Premise, current.premise_id)
        return Template(
            "customer/stop.html",
            context={"form": form or forms.StopForm(), "account": current, "accounts": accounts, "premise": premise},
            status_code=status,
        )

    @get("/stop", name="customer.stop")
    async def stop_page(self, request: Request, db_session: DbSession) -> Template:
        return await self._stop_page(request, db_session)

    @post("/stop", name="customer.stop.submit")
    async def stop(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await forms.StopForm.from_request(request)
        if not form.validate():
            return await self._stop_page(request, db_session, form, 400)
        _accounts, current = await _in_view(request, db_session)
        try:
            async with db_session.begin_nested():
                await tenancy.stop_service(
                    db_session,
                    actor_of(request),
                    _policy(),
                    current,
                    stop_on=form.stop_on.data,
                    forwarding_address=form.forwarding_address.data,
                    today=local_today(settings),
                )
        except tenancy.RequestRefused as exc:
            form.add_error(exc.field or "stop_on", exc.message)
            return await self._stop_page(request, db_session, form, 400)
        flash(
            request,
            _(
                "Stop requested for %(date)s. We will read the meter that day and send your final bill.",
                date=format_date(form.stop_on.data),
            ),
            "success",
        )
        return redirect_to("customer.requests")

    # ---- requests ----------------------------------------------------------------------------------------------

    @get("/requests", name="customer.requests")
    async def requests(self, request: Request, db_session: DbSession) -> Template:
        accounts = await access.linked_accounts(db_session, request.user.id)
        ids = [a.id for a in accounts]
        rows, orders, by_id, extension_rows = await services.requests_page(db_session, ids)
        premises = await services.premises_of(db_session, list(by_id.values()))
        items = [
            {
                "request": r,
                "state": tenancy.request_state(r, orders),
                "cancellable": tenancy.cancellable(r, orders),
                "from": by_id.get(r.from_account_id or 0),
                "to": by_id.get(r.to_account_id or 0),
                "order": orders.get(r.problem_order_id or 0),
            }
            for r in rows
        ]
        return Template(
            "customer/requests.html",
            context={
                "items": items,
                "premises": premises,
                "extensions": extension_rows,
                "accounts_by_id": by_id,
                "cancel_form": forms.CancelRequestForm(),
            },
        )

    @post("/requests/{request_id:int}/cancel", name="customer.requests.cancel")
    async def cancel(
        self, request: Request, db_session: DbSession, settings: AppSettings, request_id: FromPath[int]
    ) -> Redirect:
        accounts = await access.linked_accounts(db_session, request.user.id)
        row = await tenancy.request_for(db_session, request_id, [a.id for a in accounts])
        form = await forms.CancelRequestForm.from_request(request)
        form.validate()
        await tenancy.cancel_request(
            db_session,
            actor_of(request),
            row,
            reason=(form.reason.data or "").strip()[:200] or "Cancelled by the customer online",
            today=local_today(settings),
        )
        flash(request, _("Request cancelled."), "success")
        return redirect_to("customer.requests")

    # ---- payment extension -------------------------------------------------------------------------------------

    async def _extension_context(self, request: Request, db_session: Any, today: dt.date) -> dict[str, Any]:
        accounts, current = await _in_view(request, db_session)
        facts = await extensions.facts_for(db_session, _policy(), current, today)
        verdict = extensions.eligibility(_policy(), facts, today)
        history = await extensions.for_account(db_session, current.id)
        return {
            "accounts": accounts,
            "account": current,
            "facts": facts,
            "verdict": verdict,
            "history": history,
            "rules": extensions.rules_in_words(_policy()),
            "today": today,
        }

    @get("/extension", name="customer.extension")
    async def extension_page(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
        context = await self._extension_context(request, db_session, local_today(settings))
        context["form"] = forms.ExtensionForm(data={"promised_on": context["verdict"].latest_promise_on})
        return Template("customer/extension.html", context=context)

    @post("/extension", name="customer.extension.ask")
    async def extension(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        today = local_today(settings)
        form = await forms.ExtensionForm.from_request(request)
        if not form.validate():
            return _form_page(
                "customer/extension.html", {**await self._extension_context(request, db_session, today), "form": form}
            )
        _accounts, current = await _in_view(request, db_session)
        try:
            result = await extensions.request(
                db_session, actor_of(request), _policy(), current, promised_on=form.promised_on.data, today=today
            )
        except extensions.ExtensionRefused as exc:
            form.add_error("promised_on", exc.message)
            return _form_page(
                "customer/extension.html", {**await self._extension_context(request, db_session, today), "form": form}
            )
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

    # ---- report a problem --------------------------------------------------------------------------------------

    @get("/report", name="customer.report")
    async def report_page(
        self, request: Request, db_session: DbSession, kind: FromQuery[str | None] = None
    ) -> Template:
        accounts, current = await _in_view(request, db_session)
        form = forms.ProblemForm(data={"kind": kind} if kind in services.PROBLEM_ORDERS else None)
        return Template(
            "customer/report.html",
            context={
                "form": form,
                "account": current,
                "accounts": accounts,
                "premise": await db_session.get(Premise, current.premise_id),
            },
        )

    @post("/report", name="customer.report.submit")
    async def report(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        accounts, current = await _in_view(request, db_session)
        form = await forms.ProblemForm.from_request(request)
        upload = (await request.form()).get("photo")
        photo = None
        ok = form.validate()
        if upload is not None and hasattr(upload, "read"):
            data = await upload.read()
            if data:
                if len(data) > _policy().photo_max_bytes:
                    form.add_error(
                        "photo",
                        _("The photo is too large (at most %(mb)s MB).", mb=_policy().photo_max_bytes // 1_000_000),
                    )
                    ok = False
                else:
                    try:
                        photos.clean_image(_policy(), data, getattr(upload, "content_type", None))
                        photo = (data, getattr(upload, "content_type", None))
                    except DomainError as exc:
                        form.add_error("photo", exc.message)
                        ok = False
        if not ok:
            return _form_page(
                "customer/report.html",
                {
                    "form": form,
                    "account": current,
                    "accounts": accounts,
                    "premise": await db_session.get(Premise, current.premise_id),
                },
            )
        store = getattr(request.app.state, "photo_store", None)
        if photo is not None and store is None:
            store = photos.store_from_setting(settings.photo_store)
            request.app.state.photo_store = store
        await services.report_problem(
            db_session,
            actor_of(request),
            _policy(),
            current,
            kind=form.kind.data,
            description=form.description.data,
            phone=(form.phone.data or "").strip() or None,
            today=local_today(settings),
            photo=photo,
            photo_store=store,
            keep_photo_location=bool(form.share_location.data),
        )
        flash(request, _("Thank you. We have sent a crew request; you can follow it on this page."), "success")
        return redirect_to("customer.requests")

    # ---- preferences -------------------------------------------------------------------------------------------

    @get("/preferences", name="customer.preferences")
    async def preferences_page(self, request: Request, db_session: DbSession) -> Template:
        customer = await services.customer_of(db_session, request.user.id)
        form = forms.PreferencesForm(
            data={
                "paperless": customer.paperless,
                "notify_email": customer.notify_email,
                "notify_sms": customer.notify_sms,
                "phone": customer.phone,
                "language": customer.language or "en",
            }
        )
        return Template("customer/preferences.html", context={"form": form})

    @post("/preferences", name="customer.preferences.save")
    async def preferences(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await forms.PreferencesForm.from_request(request)
        if not form.validate():
            return _form_page("customer/preferences.html", {"form": form})
        await services.save_preferences(
            db_session,
            actor_of(request),
            request.user.id,
            paperless=form.paperless.data,
            notify_email=form.notify_email.data,
            notify_sms=form.notify_sms.data,
            phone=(form.phone.data or "").strip() or None,
            language=form.language.data,
        )
        flash(request, _("Preferences saved."), "success")
        # This device switches now; other devices follow the saved language when they have not chosen one.
        return redirect_to(
            "customer.preferences",
            cookies=[
                Cookie(
                    key=LANG_COOKIE, value=form.language.data, max_age=365 * 24 * 3600, samesite="lax", httponly=False
                )
            ],
        )


ROUTES = [landing, MyAccountController]
