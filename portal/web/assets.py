"""Static assets with content-hashed URLs, so browsers and the service worker may cache them forever."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Runs in <head> before the first paint: what scripts will add (the passkey button, the field's sync bar) takes its
# place from the start (`.js`, `.passkeys` in app.css), so nothing shifts when the modules load (CLS 0).
# Then it adds what waits in each `<template data-after-paint>` (inert: nothing in it is fetched or run) once the
# browser reports the first contentful paint (presented, not only painted) and the page is parsed: the page's modules
# and the manifest, so the first paint never waits for their fetch or a module's run (docs/benchmarks.md#lighthouse).
# Modules run in order (async=false), as parser-inserted ones would. Without paint timing, at the load event; and 3 s
# after it at the latest, should no paint be reported (a page prerendered and never shown).
BOOT_SCRIPT = (
    'document.documentElement.classList.add("js");'
    'if(typeof PublicKeyCredential==="function")document.documentElement.classList.add("passkeys");'
    "(function(){var d=document,P=window.PerformanceObserver,done=0;"
    # A button that asks first asks from the first moment, before the page's modules have loaded (they wait for paint).
    'd.addEventListener("click",function(e){var b=e.target.closest&&e.target.closest("[data-confirm]");'
    "if(b&&!confirm(b.dataset.confirm))e.preventDefault();"
    # A refusal's "go back" goes back in history, where the browser keeps what was typed in the form.
    'var k=e.target.closest&&e.target.closest("[data-back]");if(k&&history.length>1){e.preventDefault();history.back()}});'
    # A field action tapped before field.js listens would post the plain form (lost with no signal): it is held, and
    # field.js sends it once it listens; if field.js has not come 8 s later, the plain form goes after all.
    'd.addEventListener("submit",function(e){var f=e.target;'
    'if(window.portalFieldReady||!f.matches||!f.matches("form[data-field-action]"))return;'
    "e.preventDefault();e.stopImmediatePropagation();var h=window.portalHeld=window.portalHeld||[];"
    "if(h.indexOf(f)<0){h.push(f);"  # a second tap while it waits is the same action, not another
    "setTimeout(function(){if(!window.portalFieldReady&&f.isConnected)f.submit()},8000)}},true);"
    'function go(){if(done)return;done=1;d.querySelectorAll("template[data-after-paint]").forEach(function(t){'
    'var c=d.importNode(t.content,true);c.querySelectorAll("script").forEach(function(s){s.async=false});'
    "d.head.append(c)})}"
    'function parsed(){d.readyState==="loading"?d.addEventListener("DOMContentLoaded",go):go()}'
    'addEventListener("load",function(){setTimeout(go,3000)});'
    'if(P&&(P.supportedEntryTypes||[]).indexOf("paint")>=0)new P(function(l,o){'
    'if(l.getEntriesByName("first-contentful-paint").length){o.disconnect();parsed()}})'
    '.observe({type:"paint",buffered:true});else addEventListener("load",go)})()'
)
# The field modules' sources: pages load them as one bundle, js/field.js (scripts/bundle), so no page imports them.
BUNDLED = "js/field/"


@dataclass(frozen=True)
class Assets:
    root: Path = STATIC_DIR

    @cached_property
    def hashes(self) -> dict[str, str]:
        found = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                found[path.relative_to(self.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        return found

    def hashed_name(self, name: str) -> str:
        """`css/app.css` -> `css/app.3f2a1b9c0d.css`: the hash in the file's name, so every cache (a proxy's too,
        which may ignore a query string) keeps each version apart."""
        digest = self.hashes.get(name)
        if digest is None:
            raise KeyError(f"no static asset {name!r}")
        folder, _, file = name.rpartition("/")
        stem, dot, suffix = file.rpartition(".")
        hashed = f"{stem}.{digest}.{suffix}" if dot else f"{file}.{digest}"
        return f"{folder}/{hashed}" if folder else hashed

    def url(self, name: str) -> str:
        return f"/static/{self.hashed_name(name)}"

    @cached_property
    def version(self) -> str:
        """One hash over all assets: the service worker's cache name changes whenever any asset does."""
        joined = "".join(f"{name}:{digest};" for name, digest in sorted(self.hashes.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:12]

    @cached_property
    def import_map(self) -> str:
        """An import map that sends every module import (``import "./csrf.js"``) to the hashed URL, so a module is
        loaded once per page and never served stale from a year-long cache."""
        imports = {
            f"/static/{name}": self.url(name)
            for name in self.hashes
            if name.endswith(".js") and name != "js/sw.js" and not name.startswith(BUNDLED)
        }
        return json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)

    @cached_property
    def import_map_csp_hash(self) -> str:
        return _csp_hash(self.import_map)

    boot_script = BOOT_SCRIPT

    @cached_property
    def icon_data_url(self) -> str:
        """The tab's icon (icons/icon.svg, 211 bytes) in the page: the browser fetches a linked icon just before the
        first paint, a request of its own on a slow network (docs/benchmarks.md#lighthouse)."""
        svg = (self.root / "icons" / "icon.svg").read_text().strip().replace('"', "'")  # no &#34; in the attribute
        return "data:image/svg+xml," + quote(svg, safe=" /:='")

    @cached_property
    def boot_script_csp_hash(self) -> str:
        return _csp_hash(BOOT_SCRIPT)


def _csp_hash(source: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()}'"
