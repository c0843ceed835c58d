"""The outbox's rules: back-off, which status moves are allowed, phone numbers, text keywords, channels."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import mail, sms
from portal.accounts.messages import notice_channels


def test_backoff_doubles_from_a_minute_up_to_two_hours() -> None:
    waits = [mail.backoff(n) for n in range(1, 10)]
    assert waits[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == dt.timedelta(hours=2) and all(a <= b for a, b in zip(waits, waits[1:], strict=False))


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("queued", "sent", True),
        ("queued", "failed", True),
        ("sent", "delivered", True),
        ("sent", "bounced", True),
        ("delivered", "sent", False),  # a late "sent" callback never undoes "delivered"
        ("delivered", "bounced", True),  # a bounce comes back after the server took the email
        ("failed", "sent", False),
        ("bounced", "delivered", False),
        ("sent", "sent", False),  # a replay changes nothing
    ],
)
def test_statuses_only_move_forward(current: str, new: str, allowed: bool) -> None:
    assert mail.can_move(current, new) is allowed


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(254) 555-0142", "+12545550142"),  # typed the local way: the utility's country
        ("512-867-5309", "+15128675309"),
        ("+1 512 867 5309", "+15128675309"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12", None),
        ("call me", None),
        ("", None),
        (None, None),
    ],
)
def test_numbers_are_normalized_to_e164_or_refused(raw: str | None, e164: str | None) -> None:
    assert sms.normalize(raw) == e164


@pytest.mark.parametrize(
    ("body", "word"),
    [("STOP", "stop"), (" stop ", "stop"), ("Unsubscribe", "stop"), ("start", "start"), ("UNSTOP", "start"),
     ("help", "help"), ("Stop sending me bills please", None), ("", None)],
)  # fmt: skip
def test_keywords_are_the_whole_message(body: str, word: str | None) -> None:
    assert sms.keyword(body) == word


def test_preferences_decide_the_channels_and_paper_when_nothing_else_reaches() -> None:
    assert notice_channels(email="a@b.c", phone="+15128675309", notify_email=True, notify_sms=True) == ["email", "sms"]
    assert notice_channels(email="a@b.c", phone=None, notify_email=True, notify_sms=True) == ["email"]
    assert notice_channels(email="a@b.c", phone="+15128675309", notify_email=False, notify_sms=True) == ["sms"]
    assert notice_channels(email=None, phone="+15128675309", notify_email=True, notify_sms=False) == ["letter"]
    assert notice_channels(email="a@b.c", phone=None, notify_email=False, notify_sms=False) == ["letter"]


def test_a_twilio_signature_is_checked_over_the_url_and_the_fields() -> None:
    from portal.settings import Settings

    settings = Settings(secret_key="k" * 40, twilio_auth_token="token")
    params = {"From": "+15128675309", "Body": "STOP"}
    good = sms.sign("token", "https://portal.test/sms/inbound", params)
    assert sms.signature_ok(settings, "https://portal.test/sms/inbound", params, good)
    assert not sms.signature_ok(settings, "https://portal.test/sms/inbound", {**params, "Body": "START"}, good)
    assert not sms.signature_ok(settings, "https://portal.test/sms/inbound", params, None)


@pytest.mark.parametrize("token", ["².abc", "١.abc", "1.é", "", ".", "12", "99999999999999999999.x"])
def test_a_token_that_is_not_ours_names_no_message_and_never_raises(token: str) -> None:
    from portal.settings import Settings

    settings = Settings(secret_key="k" * 40)
    assert mail.unsubscribe_message_id(settings, token) is None
    good = mail.unsubscribe_token(settings, 12)
    assert mail.unsubscribe_message_id(settings, good) == 12
