"""Lighthouse 12 (mobile) on the demo's pages, each role signed in: performance, accessibility and best-practices
scores, LCP, CLS and TBT, the median of N runs a page.

    .venv/bin/python bench/lighthouse.py [--runs 3] [--pages signin,my,bill,...] [--url http://localhost:8000]
        [--chrome /usr/bin/chromium] [--json out.json] [--reports DIR]

Without --url it starts the demo (`portal demo --port N`, a free port) on a scratch SQLite database in a temporary
PORTAL_VAR_DIR, waits for the seed and the print batch made beside it (which would otherwise share the CPU with the
measurement), measures, and stops it. With --url it measures a demo already running there. --reports DIR keeps each run's whole
Lighthouse report (DIR/<page>-<run>.json) for reading its audits: the LCP element, the LCP breakdown, the request graph.

Each role's cookie comes from the demo's own sign-in buttons (POST /demo/signin/<persona>, portal/demo/signin.py) and
is put in the cookie jar of a fresh Chrome that Lighthouse attaches to (class Chrome). Lighthouse is a bench tool, not
part of the product: it is installed with npm into a cache folder outside the checkout (LIGHTHOUSE_DIR, default
~/.cache/portal-bench/lighthouse12) the first time. Its simulated throttling (slow 4G, 4x CPU slowdown) makes the scores noisy on a loaded machine: the load
average is printed beside each page, and each figure is the median of the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_DIR = Path(os.environ.get("LIGHTHOUSE_DIR", Path.home() / ".cache" / "portal-bench" / "lighthouse12"))
CATEGORIES = ("performance", "accessibility", "best-practices")

# name: (persona signed in, or None for a visitor; path, or a function of the persona's client giving it)
PAGES: dict[str, tuple[str | None, str]] = {
    "signin": (None, "/signin"),
    "my": ("resident", "/my"),
    "bill": ("resident", "bill"),  # the first bill linked from /my/bills
    "outages": ("resident", "/outages"),
    "field": ("technician", "/field"),
    "staff": ("csr", "/staff"),
    "search": ("csr", "/staff/accounts?q=Oak"),
}


@dataclass
class Result:
    page: str
    url: str
    load: list[float] = field(default_factory=list)
    runs: list[dict[str, float]] = field(default_factory=list)
    failing: dict[str, str] = field(default_factory=dict)  # audit id: title, from any run's a11y/best-practices

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> float:
    return os.getloadavg()[0]


def lighthouse_bin() -> Path:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"installing lighthouse@12 into {LIGHTHOUSE_DIR} ...", flush=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund", "lighthouse@12"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return binary


class Demo:
    """`portal demo --port N` from this checkout on a scratch PORTAL_VAR_DIR, in its own process group."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        self.work = Path(tempfile.mkdtemp(prefix="portal-lighthouse-"))
        self.log_path = self.work / "demo.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PORTAL_VAR_DIR": str(self.work / "var")}
        for name in ("STRIPE_API_KEY", "TWILIO_ACCOUNT_SID", "DATABASE_URL"):
            env.pop(name, None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from portal.cli import main; main()", "demo", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float = 900) -> None:
        """Until /healthz answers and the print batch made beside the demo is done."""
        started = time.monotonic()
        served = False
        while time.monotonic() - started < timeout:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"the demo exited before it served:\n{self.log()}")
            if not served:
                try:
                    served = httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
                    if served:
                        print(f"demo served /healthz after {time.monotonic() - started:.0f} s", flush=True)
                except httpx.HTTPError:
                    pass
            if served and ("print batch" in self.log() or "was not made" in self.log()):
                print(f"demo's print batch done after {time.monotonic() - started:.0f} s", flush=True)
                return
            time.sleep(1)
        raise SystemExit(f"the demo was not ready within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def signed_in(base: str, persona: str) -> httpx.Client:
    """A client holding the persona's session cookie, signed in with the demo's button."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/signin")
    page.raise_for_status()
    token = CSRF_INPUT.search(page.text)
    if token is None:
        raise SystemExit("no CSRF token on /signin (is this a demo?)")
    answer = client.post(f"/demo/signin/{persona}", data={"_csrf_token": token.group(1)})
    if answer.status_code != 302:
        raise SystemExit(f"demo sign-in as {persona} answered {answer.status_code}")
    return client


def first_bill(client: httpx.Client) -> str:
    for path in ("/my/bills", "/my"):
        found = re.search(r'href="(/my/bills/\d+)"', client.get(path).text)
        if found:
            return found.group(1)
    raise SystemExit("no bill linked from /my/bills")


# chrome-launcher's default flags: Chrome as the Lighthouse CLI starts it.
CHROME_FLAGS = [
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,CalculateNativeWinOcclusion,"
    "InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,AutofillServerCommunication,"
    "PrivacySandboxSettings4,RenderDocument",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--metrics-recording-only",
    "--disable-default-apps",
    "--mute-audio",
    "--no-default-browser-check",
    "--no-first-run",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-ipc-flooding-protection",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-hang-monitor",
    "--disable-prompt-on-repost",
    "--disable-domain-reliability",
    "--headless=new",
    "--no-sandbox",
]


class Chrome:
    """A fresh Chrome (its own profile) holding the signed-in cookies in its cookie jar, for Lighthouse to attach to
    with --port. Cookies, not --extra-headers: those reach only the page's own requests, so the field list's service
    worker would sync without a session (a 401 logged to the console, a status line that moves)."""

    def __init__(self, chrome: str, base: str, cookies: dict[str, str]) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="portal-lighthouse-chrome-"))
        self.process = subprocess.Popen(
            [chrome, *CHROME_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not active.exists() or not active.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise SystemExit(f"{chrome} did not open its DevTools port")
            time.sleep(0.05)
        self.port = int(active.read_text().split()[0])
        if cookies:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:  # only as a DevTools client: set the cookies, then let go
                browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
                browser.contexts[0].add_cookies(
                    [{"name": name, "value": value, "url": base} for name, value in cookies.items()]
                )
                browser.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def run_lighthouse(binary: Path, url: str, base: str, cookies: dict[str, str], chrome: str) -> dict[str, Any]:
    for attempt in range(3):  # a trace lost on a loaded machine (NO_NAVSTART, NO_FCP) says "run Lighthouse again"
        browser = Chrome(chrome, base, cookies)
        try:
            command = [
                str(binary),
                url,
                f"--port={browser.port}",
                "--form-factor=mobile",
                "--output=json",
                "--output-path=stdout",
                "--only-categories=" + ",".join(CATEGORIES),
                "--quiet",
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            browser.close()
        if done.returncode == 0:
            report: dict[str, Any] = json.loads(done.stdout)
            if not report.get("runtimeError"):
                return report
            problem = str(report["runtimeError"])
        else:
            problem = done.stderr[-3000:]
        print(f"  lighthouse failed on {url} (attempt {attempt + 1}): {problem.strip()[:300]}", flush=True)
    raise SystemExit(f"lighthouse failed three times on {url}")


def figures(report: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """The three scores (0-100), FCP, LCP and TBT (ms) and CLS; and the audits that keep a score below 100 (in
    performance: only a metric scored below 0.9, the ones Lighthouse shows orange or red)."""
    categories: dict[str, Any] = report["categories"]
    audits: dict[str, Any] = report["audits"]
    found: dict[str, float] = {name: round(float(categories[name]["score"] or 0) * 100) for name in CATEGORIES}
    for key, audit in (("lcp", "largest-contentful-paint"), ("fcp", "first-contentful-paint")):
        found[key] = float(audits[audit]["numericValue"])
    found["cls"] = float(audits["cumulative-layout-shift"]["numericValue"])
    found["tbt"] = float(audits["total-blocking-time"]["numericValue"])
    failing: dict[str, str] = {}
    for name in CATEGORIES:
        for ref in categories[name]["auditRefs"]:
            audit = audits[ref["id"]]
            score = audit["score"] or 0
            if audit.get("scoreDisplayMode") not in ("binary", "numeric", "metricSavings") or score >= 1:
                continue
            if name == "performance" and (ref.get("weight", 0) == 0 or score >= 0.9):
                continue
            failing[str(ref["id"])] = f"{name}: {audit['title']}"
    return found, failing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs a page; the median is printed")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated, of: " + ", ".join(PAGES))
    parser.add_argument("--url", help="a demo already running (otherwise one is started on a free port)")
    parser.add_argument("--chrome", default="/usr/bin/chromium")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--reports", type=Path, help="keep each run's whole Lighthouse report in this folder")
    args = parser.parse_args()
    pages = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = [name for name in pages if name not in PAGES]
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)}")

    binary = lighthouse_bin()
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    demo = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        demo = Demo(free_port())
        print(f"starting the demo on {demo.url} (scratch SQLite in {demo.work})", flush=True)
        demo.start()
    try:
        if demo is not None:
            demo.wait()
            base = demo.url
        clients: dict[str, httpx.Client] = {}
        results: list[Result] = []
        for name in pages:
            persona, path = PAGES[name]
            cookies: dict[str, str] = {}
            if persona is not None:
                if persona not in clients:
                    clients[persona] = signed_in(base, persona)
                client = clients[persona]
                if path == "bill":
                    path = first_bill(client)
                cookies = dict(client.cookies.items())
            result = Result(name, path)
            for run in range(args.runs):
                result.load.append(load_average())
                report = run_lighthouse(binary, base + path, base, cookies, args.chrome)
                if args.reports:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    (args.reports / f"{name}-{run + 1}.json").write_text(json.dumps(report))
                found, failing = figures(report)
                result.runs.append(found)
                result.failing.update(failing)
                print(
                    f"  {name} run {run + 1}: perf {found['performance']:.0f} a11y {found['accessibility']:.0f} "
                    f"bp {found['best-practices']:.0f} FCP {found['fcp']:.0f} ms LCP {found['lcp']:.0f} ms "
                    f"CLS {found['cls']:.3f} TBT {found['tbt']:.0f} ms (load {result.load[-1]:.2f})",
                    flush=True,
                )
            results.append(result)
    finally:
        if demo is not None:
            demo.stop()

    print(f"\nLighthouse {version}, mobile (simulated slow 4G, 4x CPU), median of {args.runs} runs a page")
    print(
        f"{'page':<9} {'path':<26} {'perf':>4} {'a11y':>4} {'bp':>4} {'FCP ms':>7} {'LCP ms':>7} {'CLS':>6} "
        f"{'TBT ms':>6}  load"
    )
    for result in results:
        print(
            f"{result.page:<9} {result.url[:26]:<26} {result.median('performance'):>4.0f} "
            f"{result.median('accessibility'):>4.0f} {result.median('best-practices'):>4.0f} "
            f"{result.median('fcp'):>7.0f} {result.median('lcp'):>7.0f} {result.median('cls'):>6.3f} "
            f"{result.median('tbt'):>6.0f}  {min(result.load):.2f}-{max(result.load):.2f}"
        )
    for result in results:
        for audit, title in result.failing.items():
            print(f"  {result.page}: {audit} ({title})")
    if args.json:
        args.json.write_text(json.dumps([result.__dict__ for result in results], indent=2))


if __name__ == "__main__":
    main()
