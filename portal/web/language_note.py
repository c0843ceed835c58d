"""Why a page is in the language it is in: a signed-in person whose saved language (not this browser's) chose it is
told so once a session, in that language and in the browser's, with a one-tap switch to the browser's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from portal import i18n

from .middleware import LANG_COOKIE, cookie_value, header_value

SHOWN = "language_note_shown"  # session key: the note is said once, on the first page after sign-in


@dataclass(frozen=True)
class LanguageNote:
    locale: str  # the language the page is in (the saved one)
    text: str  # why, in that language
    browser_locale: str  # the language this browser asks for
    browser_text: str  # why, in the browser's language
    switch_text: str  # "Switch to English", in the browser's language
    switch_url: str


def _why(locale: str, shown_in: str) -> str:
    with i18n.use_locale(shown_in):
        name = {"en": i18n.gettext("English"), "es": i18n.gettext("Spanish")}[locale]
        return i18n.gettext(
            "These pages are in %(language)s because that is the language saved in your preferences.", language=name
        )


def language_note(request: Any) -> LanguageNote | None:
    """The note for this page, or None: nobody signed in, a language chosen on this device, a saved language the
    browser asks for anyway, or the note already shown this session."""
    if request is None:
        return None
    scope = request.scope
    user = scope.get("user")
    saved = getattr(user, "locale", None)
    session = scope.get("session")
    if saved not in i18n.SUPPORTED or not isinstance(session, dict) or session.get(SHOWN):
        return None
    if cookie_value(scope, LANG_COOKIE) in i18n.SUPPORTED or i18n.current() != saved:
        return None
    browser = i18n.negotiate(header_value(scope, b"accept-language"))
    if browser == saved:
        return None
    session[SHOWN] = True
    with i18n.use_locale(browser):
        switch = i18n.gettext("Switch to %(language)s", language=i18n.LANGUAGE_NAMES[browser])
    target = request.app.route_reverse("language", code=browser)
    return LanguageNote(
        saved,
        _why(saved, saved),
        browser,
        _why(saved, browser),
        switch,
        f"{target}?next={quote(request.url.path, safe='/')}",
    )
