"""The cut-off list for a day: notices (by email, or letters to print), courtesy calls, disconnect orders and the
recheck that cancels orders for accounts that paid."""

from __future__ import annotations

import asyncio
import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal import i18n
from portal.accounts import numbers
from portal.accounts.errors import NotFound
from portal.accounts.policy import Policy
from portal.i18n import gettext as _
from portal.i18n import ngettext, use_locale
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.pdf import render_pdf
from portal.web.urls import redirect_to

from .. import cutoff, rules
from ._pages import staff_account
from ._params import parse_day, parse_forecast


async def _page(
    db_session: DbSession, policy: Policy, timezone: str, today: dt.date, day: dt.date, forecast: int | None
) -> Template:
    return Template(
        "staff/cutoff.html",
        context={
            "listing": await cutoff.build(db_session, policy, day, timezone, forecast),
            "forecast": forecast,
            "outcomes": cutoff.COURTESY_OUTCOMES,
            "notice_cutoff_on": rules.notice_cutoff_on(policy, today),
            "letter_days": await cutoff.recent_letter_days(db_session, timezone, today - dt.timedelta(days=30)),
        },
    )


async def _letters_response(request: Request, public_url: str, found: list[cutoff.Letter], filename: str) -> Response:
    """Render each letter in its customer's language, then the document (in that language when there is one letter)."""
    engine = request.app.template_engine
    assert engine is not None  # the app is always built with its template config
    sections = []
    for letter in found:
        with use_locale(letter.language):
            subject, paragraphs = cutoff.notice_wording(
                letter.account, letter.premise, letter.amount_cents, letter.cutoff_on or letter.sent_on
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
    document = await asyncio.to_thread(render_pdf, html)
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


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
        return await _page(db_session, policy, settings.timezone, today, when, forecast)

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
        sent = await cutoff.send_notices(
            db_session, actor, policy, today, settings.timezone, rules.notice_cutoff_on(policy, today)
        )
        flash(request, ngettext("%(num)d cut-off notice sent.", "%(num)d cut-off notices sent.", sent), "success")
        return redirect_to("staff.cutoff")

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
        data = await request.form()
        day = parse_day(data.get("day"), today)
        forecast = parse_forecast(data.get("forecast_high"))
        created = await cutoff.create_orders(db_session, actor, policy, day, settings.timezone, forecast)
        flash(
            request,
            ngettext("%(num)d disconnect order created.", "%(num)d disconnect orders created.", len(created)),
            "success",
        )
        return redirect_to("staff.cutoff", query={"day": day.isoformat()})

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
        day = parse_day((await request.form()).get("day"), today)
        cancelled = await cutoff.recheck(db_session, actor, policy, day, settings.timezone)
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
