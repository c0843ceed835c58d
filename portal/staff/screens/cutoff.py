"""The cut-off list for a day: notices (by email, or letters to print), courtesy calls, disconnect orders and the
recheck that cancels orders for accounts that paid."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal import i18n, sms
from portal.accounts import numbers
from portal.accounts.errors import NotFound
from portal.accounts.policy import Policy
from portal.i18n import format_date, ngettext, use_locale
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.pdf import pdf_response
from portal.web.urls import redirect_to

from .. import confirm, cutoff, rules
from ._pages import staff_account
from ._params import parse_day, parse_forecast


async def _page(
    db_session: DbSession,
    policy: Policy,
    timezone: str,
    today: dt.date,
    day: dt.date,
    forecast: int | None,
    moved_from: dt.date | None = None,
) -> Template:
    listing = await cutoff.build(db_session, policy, day, timezone, forecast)
    return Template(
        "staff/cutoff.html",
        context={
            "listing": listing,
            "groups": cutoff.reason_groups(listing),
            "calls": [row for row in listing.rows if row.decision.codes == ("no_courtesy",)],
            "moved_from": moved_from,
            "forecast": forecast,
            "outcomes": cutoff.COURTESY_OUTCOMES,
            "notice_cutoff_on": rules.notice_cutoff_on(policy, today),
            "letter_days": await cutoff.recent_letter_days(db_session, timezone, today - dt.timedelta(days=30)),
        },
    )


def _preview(plan: confirm.Plan, action: str, day: dt.date, forecast: int | None, summary: str) -> Template:
    """What a bulk action will do, to which accounts, with the confirm button that posts the plan's fingerprint."""
    return Template(
        "staff/cutoff_confirm.html",
        context={"plan": plan, "action": action, "day": day, "forecast": forecast, "summary": summary},
    )


async def _confirmed(request: Request) -> tuple[dict[str, str], str | None]:
    """The form's fields, and the fingerprint it confirms (None when it is a first post: show the preview)."""
    data = await request.form()
    fields = {key: str(data.get(key) or "") for key in ("day", "forecast_high", "fingerprint")}
    return fields, fields["fingerprint"] or None


def _stale(request: Request, route: str, query: dict[str, str]) -> Redirect:
    flash(
        request,
        _("The list changed since the preview: nothing was done. Check the new list and confirm again."),
        "warning",
    )
    return redirect_to(route, query=query)


async def _letters_response(request: Request, public_url: str, found: list[cutoff.Letter], filename: str) -> Response:
    """Render each letter in its customer's language, then the document (in that language when there is one letter)."""
    engine = request.app.template_engine
    assert engine is not None  # the app is always built with its template config
    sections = []
    for letter in found:
        with use_locale(letter.language):
            subject, paragraphs = cutoff.notice_wording(
                letter.account,
                letter.premise,
                letter.amount_cents,
                letter.cutoff_on or letter.sent_on,
                phone=request.app.state.settings.utility_phone,
            )
            sections.append(
                engine.get_template("staff/cutoff_letter.html").render(
                    letter=letter, subject=subject, paragraphs=paragraphs, public_url=public_url
                )
            )
    lang = found[0].language if len(found) == 1 else i18n.current()
    with use_locale(lang):
        title = (
            _("Service disconnection notice for account %(number)s", number=numbers.display(found[0].account.number))
            if len(found) == 1
            else _("Cut-off letters to mail, %(count)d", count=len(found))
        )
        html = engine.get_template("staff/cutoff_letters_pdf.html").render(sections=sections, title=title, lang=lang)
    return await pdf_response(html, filename)


class CutoffController(Controller):
    path = "/staff/cutoff"
    guards = [guards.staff]

    @get("/", name="staff.cutoff")
    async def page(
        self,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        day: FromQuery[str | None] = None,
        forecast_high: FromQuery[str | None] = None,
    ) -> Template:
        when, forecast = parse_day(day, today), parse_forecast(forecast_high)
        moved_from = None
        if not day and rules.disconnect_day_refusal(policy, today) is not None:
            # nothing may happen today: open on the next day that work can be planned for
            when, moved_from = rules.next_disconnect_day(policy, today), today
        return await _page(db_session, policy, settings.timezone, today, when, forecast, moved_from)

    @get("/notices", name="staff.cutoff.notices.preview")
    async def notices_preview(
        self, db_session: DbSession, settings: AppSettings, today: Today, policy: CurrentPolicy
    ) -> Template:
        listing = await cutoff.build(db_session, policy, today, settings.timezone)
        plan = cutoff.notice_plan(policy, listing, texts=sms.configured(settings))
        summary = ngettext(
            "%(num)d cut-off notice will be sent: %(email)d by email, %(text)d by text message, %(letter)d by letter "
            "to print and mail.",
            "%(num)d cut-off notices will be sent: %(email)d by email, %(text)d by text message, %(letter)d by letter "
            "to print and mail.",
            len(plan.items),
            email=plan.count("email"),
            text=plan.count("sms"),
            letter=plan.count("letter"),
        )
        return _preview(plan, "staff.cutoff.notices", rules.notice_cutoff_on(policy, today), None, summary)

    @post("/notices", name="staff.cutoff.notices")
    async def notices(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
    ) -> Redirect:
        _fields, expected = await _confirmed(request)
        if expected is None:
            return redirect_to("staff.cutoff.notices.preview")
        try:
            sent = await cutoff.send_notices(
                db_session,
                actor,
                policy,
                today,
                settings.timezone,
                rules.notice_cutoff_on(policy, today),
                expected,
                texts=sms.configured(settings),
                phone=settings.utility_phone,
            )
        except confirm.StalePlan:
            return _stale(request, "staff.cutoff.notices.preview", {})
        flash(request, ngettext("%(num)d cut-off notice sent.", "%(num)d cut-off notices sent.", sent), "success")
        return redirect_to("staff.cutoff")

    @get("/orders", name="staff.cutoff.orders.preview")
    async def orders_preview(
        self,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        day: FromQuery[str | None] = None,
        forecast_high: FromQuery[str | None] = None,
    ) -> Template:
        when, forecast = parse_day(day, today), parse_forecast(forecast_high)
        plan = cutoff.orders_plan(await cutoff.build(db_session, policy, when, settings.timezone, forecast))
        summary = ngettext(
            "%(num)d disconnect order will be created for %(date)s.",
            "%(num)d disconnect orders will be created for %(date)s.",
            len(plan.items),
            date=format_date(when),
        )
        return _preview(plan, "staff.cutoff.orders", when, forecast, summary)

    @post("/orders", name="staff.cutoff.orders")
    async def orders(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
    ) -> Redirect:
        fields, expected = await _confirmed(request)
        day = parse_day(fields["day"], today)
        forecast = parse_forecast(fields["forecast_high"])
        query = {"day": day.isoformat(), "forecast_high": fields["forecast_high"]}
        if expected is None:
            return redirect_to("staff.cutoff.orders.preview", query=query)
        try:
            created = await cutoff.create_orders(db_session, actor, policy, day, settings.timezone, forecast, expected)
        except confirm.StalePlan:
            return _stale(request, "staff.cutoff.orders.preview", query)
        flash(
            request,
            ngettext("%(num)d disconnect order created.", "%(num)d disconnect orders created.", len(created)),
            "success",
        )
        return redirect_to("staff.cutoff", query={"day": day.isoformat()})

    @get("/recheck", name="staff.cutoff.recheck.preview")
    async def recheck_preview(
        self,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        day: FromQuery[str | None] = None,
    ) -> Template:
        when = parse_day(day, today)
        listing = await cutoff.build(db_session, policy, when, settings.timezone)
        orders = await cutoff.open_orders_due(db_session, when)
        plan = cutoff.recheck_plan(listing, orders, await cutoff.own_exclusions(db_session, policy, orders, when))
        summary = ngettext(
            "%(num)d disconnect order will be cancelled: its account no longer qualifies on %(date)s.",
            "%(num)d disconnect orders will be cancelled: their accounts no longer qualify on %(date)s.",
            len(plan.items),
            date=format_date(when),
        )
        return _preview(plan, "staff.cutoff.recheck", when, None, summary)

    @post("/recheck", name="staff.cutoff.recheck")
    async def recheck(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
    ) -> Redirect:
        fields, expected = await _confirmed(request)
        day = parse_day(fields["day"], today)
        if expected is None:
            return redirect_to("staff.cutoff.recheck.preview", query={"day": day.isoformat()})
        try:
            cancelled = await cutoff.recheck(db_session, actor, policy, day, settings.timezone, expected)
        except confirm.StalePlan:
            return _stale(request, "staff.cutoff.recheck.preview", {"day": day.isoformat()})
        flash(
            request,
            ngettext("Recheck: %(num)d order cancelled.", "Recheck: %(num)d orders cancelled.", len(cancelled)),
            "success",
        )
        return redirect_to("staff.cutoff", query={"day": day.isoformat()})

    @get("/letters/{contact_id:int}/pdf", name="staff.cutoff.letter")
    async def letter(
        self, request: Request, db_session: DbSession, settings: AppSettings, contact_id: FromPath[int]
    ) -> Response:
        """One notice as a printable letter in the customer's language (any notice can be printed again)."""
        found = await cutoff.letters(db_session, contact_id=contact_id)
        if not found:
            raise NotFound(_("No such notice."))
        filename = f"cutoff-notice-{found[0].account.number}-{found[0].sent_on.isoformat()}.pdf"
        return await _letters_response(request, settings.public_url, found, filename)

    @get("/letters/pdf", name="staff.cutoff.letters")
    async def letters(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        day: FromQuery[str | None] = None,
    ) -> Response:
        """The day's notices that go by mail (customers without email), one letter a page, each in its language."""
        when = parse_day(day, today)
        found = await cutoff.letters(db_session, day=when, timezone=settings.timezone)
        if not found:
            raise NotFound(_("No letters were sent by mail that day."))
        return await _letters_response(request, settings.public_url, found, f"cutoff-letters-{when.isoformat()}.pdf")

    @post("/calls/{number:str}", name="staff.cutoff.call")
    async def call(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        outcome, note = str(data.get("outcome", "")), str(data.get("note", ""))
        await cutoff.record_courtesy_call(db_session, actor, account, outcome, note)
        flash(request, _("Call recorded for %(number)s.", number=numbers.display(account.number)), "success")
        return redirect_to("staff.cutoff", query={"day": data.get("day", "")}, anchor="calls")
