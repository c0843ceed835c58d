"""The resident's preferences: paperless bills, notices by email or text, and the language."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from portal import mail, sms
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.middleware import LANG_COOKIE
from portal.web.urls import redirect_to

from .. import forms, services
from .common import form_page


class PreferencesController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/preferences", name="customer.preferences")
    async def preferences_page(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
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
        messages = await services.notices_for(db_session, customer)
        texts = sms.configured(settings)
        return Template("customer/preferences.html", context={"form": form, "messages": messages, "texts": texts})

    @post("/preferences", name="customer.preferences.save")
    async def preferences(
        self, request: Request, db_session: DbSession, actor: CurrentActor, settings: AppSettings
    ) -> Template | Redirect:
        form = await forms.PreferencesForm.from_request(request)
        # Texts are offered only when Twilio is configured; without it the box is not shown, and a posted one is
        # ignored: the saved choice stays as it was (notices go by email or letter meanwhile).
        texts = sms.configured(settings)
        if not texts:
            form.notify_sms.data = False
        if not form.validate():
            return form_page("customer/preferences.html", {"form": form, "texts": texts})
        customer = await services.customer_of(db_session, request.user.id)
        await services.save_preferences(
            db_session,
            actor,
            request.user.id,
            paperless=form.paperless.data,
            notify_email=form.notify_email.data,
            notify_sms=form.notify_sms.data if texts else bool(customer.notify_sms),
            phone=(form.phone.data or "").strip() or None,
            language=form.language.data,
        )
        with use_locale(form.language.data):  # said in the language the next page is in
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


# One-click unsubscribe from a notice's email (List-Unsubscribe, RFC 8058): no sign-in, the token is the proof. A GET
# (a person following the link; a link scanner) only asks; the POST (the mail provider's one click, or the button)
# turns email notices off. Exempt from CSRF as the signed webhooks are: the token is unguessable and per message.


@get("/my/preferences/unsubscribe/{token:str}", name="customer.unsubscribe.page")
async def unsubscribe_page(settings: AppSettings, token: FromPath[str]) -> Template:
    if mail.unsubscribe_message_id(settings, token) is None:
        raise NotFoundException()
    return Template("customer/unsubscribe.html", context={"token": token, "done": False})


@post("/my/preferences/unsubscribe/{token:str}", exclude_from_csrf=True, name="customer.unsubscribe", status_code=200)
async def unsubscribe(db_session: DbSession, settings: AppSettings, token: FromPath[str]) -> Template:
    message_id = mail.unsubscribe_message_id(settings, token)
    if message_id is None or await services.unsubscribe_email_notices(db_session, message_id) is None:
        raise NotFoundException()
    return Template("customer/unsubscribe.html", context={"token": token, "done": True})
