"""The Jinja environment: i18n, money and date filters, hashed static URLs, per-role navigation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine

from portal import i18n
from portal.accounts import numbers
from portal.accounts.adjustment_words import explanation_words
from portal.accounts.ledger_words import ledger_words
from portal.accounts.models import Role
from portal.accounts.outage_words import cause_words, update_words
from portal.settings import Settings

from .assets import Assets
from .kiosk import in_kiosk
from .labels import label, unit_short, unit_words
from .language_note import language_note
from .urls import reverse, template_pattern, template_url

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"

# (route name, label) per role: the path is built and the label translated when the menu renders.
NAVIGATION: dict[Role | None, list[tuple[str, str]]] = {
    None: [("landing", "Home"), ("pay", "Pay a bill"), ("signin", "Sign in")],
    Role.CUSTOMER: [
        ("customer.home", "My account"),
        ("customer.bills", "Bills"),
        ("pay", "Pay a bill"),
        ("customer.requests", "My requests"),
        ("settings", "Settings"),
    ],
    Role.FIELD: [("field.today", "Today's orders"), ("settings", "Settings")],
    Role.CSR: [("staff.home", "Console"), ("staff.accounts", "Accounts"), ("settings", "Settings")],
    Role.SUPERVISOR: [("staff.home", "Console"), ("staff.accounts", "Accounts"), ("settings", "Settings")],
    Role.ADMIN: [("staff.home", "Console"), ("staff.accounts", "Accounts"), ("settings", "Settings")],
}


@pass_context
def navigation_for(context: Any, user: Any) -> list[tuple[str, str]]:
    """(path, label) for the header menu of this person's role; none in kiosk mode (the visitor holds the tablet)."""
    request = context["request"]
    if in_kiosk(request):
        return []
    app = request.app
    if "user" not in request.scope:
        # A page the identity middleware never saw (a 404 of no route): who is reading is unknown, so no "Sign in"
        # that would tell a signed-in resident they were signed out; Home leads each to their own start.
        return [(reverse(app, "landing"), i18n.gettext("Home"))]
    role = getattr(user, "role", None)
    return [(reverse(app, name), i18n.gettext(label)) for name, label in NAVIGATION.get(role, NAVIGATION[None])]


def user_of(request: Any) -> Any:
    """The signed-in user, or None (also on pages the identity middleware never saw, such as a 404)."""
    return request.scope.get("user") if request is not None else None


def flashes(request: Any) -> list[dict[str, str]]:
    session = request.scope.get("session") if request is not None else None
    if not isinstance(session, dict):
        return []
    return session.pop("_messages", [])


def make_environment(settings: Settings, assets: Assets) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml", "svg", "js"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined if settings.debug else Environment().undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it to the environment
        lambda message: i18n.gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.current()).ngettext(singular, plural, n),
        newstyle=True,
    )
    env.filters.update(
        money=i18n.format_money,
        date=lambda value, style="medium": i18n.format_date(value, style, settings.timezone),
        # one style per kind, the same as Python messages use (portal/i18n.py); a stored ISO string too (a phone's
        # "as of" stamp, in UTC), shown on the utility's clock
        datetime=lambda value: i18n.format_datetime(value, settings.timezone),
        time=lambda value: i18n.format_time(value, settings.timezone),
        explanation=explanation_words,
        outage_cause=cause_words,
        outage_update=update_words,
        ledger_words=lambda entry: ledger_words(entry) or label(entry.kind),
        number=i18n.format_number,
        account_number=numbers.display,
        label=label,
        unit_words=unit_words,
        unit_short=unit_short,
    )
    env.globals.update(
        static_url=assets.url,
        url=template_url,
        url_pattern=template_pattern,
        import_map=assets.import_map,
        boot_script=assets.boot_script,
        icon_data_url=assets.icon_data_url,
        generated_at=lambda: datetime.now(UTC).isoformat(timespec="seconds"),
        current_locale=i18n.current,
        languages=i18n.LANGUAGE_NAMES,
        navigation_for=navigation_for,
        in_kiosk=in_kiosk,
        user_of=user_of,
        get_flashes=flashes,
        language_note=language_note,
        utility_name=settings.utility_name,
        utility_phone=settings.utility_phone,
        emergency_phone=settings.emergency_phone,
        demo_mode=settings.demo,  # in demo mode the demo adds demo_personas (portal/demo/signin.py)
    )
    return env


def make_engine(settings: Settings, assets: Assets) -> JinjaTemplateEngine:
    return JinjaTemplateEngine.from_environment(make_environment(settings, assets))
