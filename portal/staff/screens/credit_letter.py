"""The letter of credit for a departing customer: the facts from our records (what a deposit waiver checks), shown
to the CSR, then issued as a PDF in the customer's language, with an audit row of what it said."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from portal.accounts import credit_history, numbers
from portal.accounts.models import Customer, Premise
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.pdf import pdf_response

from ._pages import staff_account


class CreditLetterController(Controller):
    path = "/staff/accounts/{number:str}/credit-letter"
    guards = [guards.staff]

    @get("/", name="staff.credit_letter")
    async def preview(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        number: FromPath[str],
    ) -> Template:
        account = await staff_account(request, db_session, number)
        customer = await db_session.get(Customer, account.customer_id)
        found = await credit_history.history(db_session, policy, account, settings.utility_name, today)
        return Template("staff/credit_letter.html", context={"account": account, "customer": customer, "found": found})

    @post("/", name="staff.credit_letter.issue", status_code=200)
    async def issue(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Response:
        account = await staff_account(request, db_session, number)
        customer = await db_session.get(Customer, account.customer_id)
        premise = await db_session.get(Premise, account.premise_id)
        assert customer is not None and premise is not None
        language = customer.language if customer.language in ("en", "es") else "en"
        engine = request.app.template_engine
        assert engine is not None  # the app is always built with its template config
        with use_locale(language):  # the rule's reasons are worded in the letter's language too
            found = await credit_history.history(db_session, policy, account, settings.utility_name, today)
            await credit_history.record_issued(db_session, actor, account, found)
            section = engine.get_template("staff/credit_letter_pdf.html").render(
                account=account, customer=customer, premise=premise, found=found, policy=policy
            )
            title = _("Letter of credit for account %(number)s", number=numbers.display(account.number))
            html = engine.get_template("staff/cutoff_letters_pdf.html").render(
                sections=[section], title=title, lang=language
            )
        filename = f"credit-letter-{account.number}-{today.isoformat()}.pdf"
        return await pdf_response(html, filename)
