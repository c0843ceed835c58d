"""A local stand-in for Twilio's Messages API (tests and the demo): the subset the portal's `twilio` SDK calls.

    python -m portal.demo.twilio_stand_in --port 8430 [--auth-token TOKEN]

POST /2010-04-01/Accounts/{AccountSid}/Messages.json creates a message (HTTP Basic auth: the account SID and the
auth token) and answers Twilio's JSON; then, like Twilio, it POSTs the message's StatusCallback ("sent", then
"delivered"), signed with X-Twilio-Signature. Twilio's documented magic numbers behave as Twilio's test credentials
do: +15005550001 is invalid (21211), +15005550004 has replied STOP (21610), +15005550009 cannot get texts (21614);
+15005550010 is accepted but ends "undelivered" (30003). GET .../Messages/{Sid}.json answers a message's current
status (the outbox's status check asks it). Test controls: POST /_test/fail?times=N answers the next N
creates with a 503; GET /_test/messages lists what was sent; POST /_test/reset forgets it.

Nothing here runs in production: the SDK only comes here when TWILIO_API_BASE points at it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import email.utils
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

from portal.sms import sign

INVALID = {"+15005550001": (21211, "The 'To' number is not a valid phone number."),
           "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
           "+15005550009": (21614, "'To' number is not a valid mobile number")}  # fmt: skip
UNDELIVERED = "+15005550010"


def make_app(auth_token: str, callback_delay: float = 0.2) -> Any:
    from aiohttp import ClientSession, web

    state: dict[str, Any] = {"messages": [], "fail": 0}

    def error(status: int, code: int, message: str) -> web.Response:
        body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        return web.json_response({**body, "status": status}, status=status)

    async def callback(url: str, params: dict[str, str]) -> None:
        try:
            async with ClientSession() as http:
                await http.post(url, data=params, headers={"X-Twilio-Signature": sign(auth_token, url, params)})
        except Exception:  # nobody listening (a test without a server): Twilio gives up too
            pass

    async def report(message: dict[str, Any], url: str) -> None:
        for status in ("sent", "undelivered" if message["to"] == UNDELIVERED else "delivered"):
            await asyncio.sleep(callback_delay)
            message["status"] = status
            params = {
                "AccountSid": message["account_sid"],
                "MessageSid": message["sid"],
                "MessageStatus": status,
                "To": message["to"],
                "From": message["from"] or "",
            }
            if status == "undelivered":
                params["ErrorCode"] = "30003"
                message["error_code"] = 30003
            await callback(url, params)

    async def create(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        expected = "Basic " + base64.b64encode(f"{account}:{auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        if state["fail"] > 0:
            state["fail"] -= 1
            return error(503, 20500, "Service unavailable")
        form = await request.post()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        if not to.startswith("+") or not to[1:].isdigit():
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in INVALID:
            return error(400, *INVALID[to])
        if not body:
            return error(400, 21602, "Message body is required.")
        sid = "SM" + secrets.token_hex(16)
        now = email.utils.format_datetime(dt.datetime.now(dt.UTC))
        message = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": str(form.get("From", "")) or None,
            "messaging_service_sid": str(form.get("MessagingServiceSid", "")) or None,
            "num_media": "0",
            "num_segments": str(len(body) // 153 + 1),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }
        state["messages"].append(message)
        if form.get("StatusCallback"):
            asyncio.get_running_loop().create_task(report(message, str(form["StatusCallback"])))
        return web.json_response(dict(message), status=201)

    async def fetch(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        expected = "Basic " + base64.b64encode(f"{account}:{auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        for message in state["messages"]:
            if message["sid"] == request.match_info["sid"] and message["account_sid"] == account:
                return web.json_response(dict(message))
        return error(404, 20404, "The requested resource was not found")

    async def fail(request: web.Request) -> web.Response:
        state["fail"] = int(request.query.get("times", "1"))
        return web.json_response({"fail": state["fail"]})

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"messages": state["messages"]})

    async def reset(request: web.Request) -> web.Response:
        state["messages"].clear()
        state["fail"] = 0
        return web.json_response({"reset": True})

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)
    app.router.add_get("/2010-04-01/Accounts/{account}/Messages/{sid}.json", fetch)
    app.router.add_post("/_test/fail", fail)
    app.router.add_get("/_test/messages", listing)
    app.router.add_post("/_test/reset", reset)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(auth_token: str, port: int | None = None, timeout: float = 20.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start the stand-in in its own process on localhost; answer (process, base URL) once it serves."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.demo.twilio_stand_in", "--port", str(port), "--auth-token", auth_token],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Twilio stand-in exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_test/messages", timeout=1) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the Twilio stand-in did not start")


def start_for_demo(echo: Any = print) -> subprocess.Popen[bytes] | None:
    """`portal demo` without TWILIO_ACCOUNT_SID: start the stand-in and point this process's settings at it."""
    import atexit
    import os

    if os.environ.get("TWILIO_ACCOUNT_SID"):
        return None
    token = secrets.token_hex(16)
    process, url = start(token)
    atexit.register(process.terminate)
    os.environ.update(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": token,
            "TWILIO_FROM": "+15005550006",
            "TWILIO_API_BASE": url,
        }
    )
    echo(f"Text messages go to a local Twilio stand-in at {url} (see {url}/_test/messages).")
    return process


def main() -> None:
    from aiohttp import web

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--auth-token", default="demo-auth-token")
    args = parser.parse_args()
    web.run_app(make_app(args.auth_token), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
