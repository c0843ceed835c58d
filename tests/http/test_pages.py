"""Public pages, the language switch, the web app manifest and the service worker."""

import json
import re

from tests.http.helpers import post_form, sign_in


async def test_the_landing_page_offers_sign_in_and_sign_up(client) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert 'href="/signin"' in page.text and 'href="/signup"' in page.text
    assert '<html lang="en"' in page.text


async def test_switching_to_spanish_sets_the_lang_attribute_and_the_words(client) -> None:
    switched = await client.get("/lang/es?next=/signin", follow_redirects=False)
    assert switched.status_code == 302 and switched.headers["location"] == "/signin"
    page = await client.get("/signin")
    assert '<html lang="es"' in page.text
    assert "Iniciar sesión" in page.text and "Enviarme un código" in page.text
    assert 'hreflang="en"' in page.text  # the way back to English


async def test_a_spanish_browser_gets_spanish_without_choosing(client) -> None:
    page = await client.get("/signin", headers={"accept-language": "es-MX,es;q=0.9"})
    assert '<html lang="es"' in page.text


async def test_form_errors_are_in_spanish_on_a_spanish_page(client) -> None:
    await client.get("/lang/es")
    response = await post_form(client, "/signin/code", {"email": "not-an-email"})
    assert response.status_code == 400
    assert "Hay un problema" in response.text and "Escriba un correo electrónico como" in response.text


async def test_the_language_switch_never_redirects_off_site(client) -> None:
    response = await client.get("/lang/es?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


async def test_an_unknown_page_is_a_friendly_404_in_the_visitors_language(client) -> None:
    page = await client.get("/no-such-page", headers={"accept-language": "es"})
    assert page.status_code == 404
    assert "Página no encontrada" in page.text


async def test_the_manifest_names_the_app_and_its_icons(client) -> None:
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["name"] == "City of Riverton Utilities"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_the_service_worker_is_served_from_the_root_and_precaches_the_shell(client) -> None:
    response = await client.get("/sw.js")
    assert response.headers["cache-control"] == "no-cache"
    assert "text/javascript" in response.headers["content-type"]
    assert "/offline" in response.text and re.search(r"/static/css/app\.[0-9a-f]{10}\.css", response.text)
    assert (await client.get("/offline")).status_code == 200


async def test_nothing_the_browser_fetches_on_its_own_sets_a_cookie(client, session, resident) -> None:
    """The worker installs while a visitor opens their first form page. A CSRF cookie on one of its fetches, landing
    after that page's own, voided the form's token: the visitor's outage report was refused (403)."""
    worker = (await client.get("/sw.js")).text
    precache = json.loads(re.search(r"const PRECACHE = (\[.*\]);", worker).group(1))
    assert "/offline" in precache
    for path in ["/sw.js", "/manifest.webmanifest", *precache]:
        client.cookies.clear()
        response = await client.get(path)
        assert response.status_code == 200 and "set-cookie" not in response.headers, path
    # A signed-in reader's copy still carries the sign-out form's token: the one their browser holds.
    await sign_in(client, session, resident.user)
    held = client.cookies.get("csrftoken")
    page = await client.get("/offline")
    assert held and f'value="{held}"' in page.text and "csrftoken" not in page.headers.get("set-cookie", "")


async def test_static_assets_are_cacheable_and_compressed(client) -> None:
    page = await client.get("/signin")
    css_url = page.text.split('rel="stylesheet" href="')[1].split('"')[0]
    css = await client.get(css_url, headers={"accept-encoding": "gzip"})
    assert css.status_code == 200
    assert "max-age=31536000" in css.headers["cache-control"]
    assert css.headers.get("content-encoding") == "gzip"


async def test_the_health_check_touches_the_database(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_a_signed_in_resident_sees_their_saved_language(client, session, resident) -> None:
    from tests.http.helpers import sign_in

    resident.user.locale = "es"
    session.add(resident.user)
    await session.commit()
    await sign_in(client, session, resident.user)
    page = await client.get("/my")
    assert '<html lang="es"' in page.text and "Hola, María Lopez" in page.text
    await client.get("/lang/en")
    assert "Hello, María Lopez" in (await client.get("/my")).text  # this device's explicit choice wins


async def test_module_imports_go_to_hashed_urls_through_an_import_map_the_csp_allows(client) -> None:
    import base64
    import hashlib
    import json
    import re

    page = await client.get("/signin")
    found = re.search(r'<script type="importmap">(.*?)</script>', page.text)
    assert found, "no import map on the page"
    imports = json.loads(found.group(1))["imports"]
    assert re.fullmatch(r"/static/js/csrf\.[0-9a-f]{10}\.js", imports["/static/js/csrf.js"])
    allowed = "'sha256-" + base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode() + "'"
    assert allowed in page.headers["content-security-policy"]
