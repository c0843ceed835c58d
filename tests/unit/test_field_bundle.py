"""The field pages load one bundle (portal/static/js/field.js, made by scripts/bundle with esbuild from
portal/static/js/field/*.js): it must be what the sources build today, or a technician runs yesterday's code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js and npm are needed to build the bundle")
def test_the_committed_field_bundle_is_built_from_the_current_sources() -> None:
    checked = subprocess.run([str(ROOT / "scripts" / "bundle"), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_field_pages_load_the_bundle_and_no_page_imports_a_bundled_source() -> None:
    templates = ROOT / "portal" / "templates"
    for page in ("field/today.html", "field/order.html"):
        text = (templates / page).read_text()
        assert "static_url('js/field.js')" in text and "js/field/" not in text, page
    from portal.web.assets import Assets

    assert "/static/js/field/page.js" not in Assets().import_map
    assert "/static/js/app.js" in Assets().import_map
