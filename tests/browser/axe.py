"""axe-core (the copy bundled with the PyPI package axe-playwright-python, axe 4.x) run against a Playwright page.

Injected with page.evaluate, which the page's Content-Security-Policy (script-src 'self') does not apply to."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.async_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@cache
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


async def violations(page: Page) -> list[dict]:
    # Judge the page as a person sees it: after a click that navigates, the new document can be there before its
    # stylesheet is, and an unstyled header fails target-size (a loaded machine made that race show).
    await page.wait_for_load_state("load")
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    version = await page.evaluate("window.axe.version")
    assert version.startswith("4."), version
    result = await page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS
    )
    return result["violations"]


def report(found: list[dict]) -> str:
    """One paragraph per rule: id, impact, help and the nodes (CSS targets with axe's summary)."""
    lines: list[str] = []
    for v in found:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}  {node['html'][:160]}")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


async def assert_accessible(page: Page) -> None:
    found = await violations(page)
    assert not found, f"axe found {len(found)} WCAG 2.2 AA violation(s) on {page.url}:\n{report(found)}"
