"""outbound.paging.HttpPaging against a stand-in service on 127.0.0.1: PagerDuty Events API
v2 bodies, webhook bodies with their Authorization header, retries with backoff on 5xx and
429, no retry on other 4xx, secrets read from the environment."""

from __future__ import annotations

import pytest

from core.communications.config import PagerConfig
from core.communications.ports import PageEvent, PageFailed
from outbound.paging import HttpPaging
from tests.support.communications import StandIn

EVENT = PageEvent("trigger", "firebreak-7-leads", "Incident #7 (sev1): keys leaked", "critical", "firebreak",
                  {"incident": 7})


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.stop()


def paging(waits):
    return HttpPaging({"PD_LEADS": "R0UTINGKEY", "HOOK_AUTH": "Bearer abc"}, backoff_seconds=0.5,
                      sleep=waits.append)


def test_pagerduty_trigger_retried_after_failures(stand_in):
    waits: list[float] = []
    pager = PagerConfig(type="pagerduty", routing_key_env="PD_LEADS", events_url=stand_in.url, attempts=4)
    stand_in.fail(2, 503)
    assert paging(waits).send(pager, EVENT) == "firebreak-7-leads"
    assert waits == [0.5, 1.0]  # exponential backoff
    bodies = stand_in.events()
    assert len(bodies) == 3 and bodies[0] == bodies[2]
    assert bodies[2] == {"routing_key": "R0UTINGKEY", "event_action": "trigger", "dedup_key": "firebreak-7-leads",
                         "payload": {"summary": "Incident #7 (sev1): keys leaked", "source": "firebreak",
                                     "severity": "critical", "custom_details": {"incident": 7}}}
    ack = PageEvent("acknowledge", "firebreak-7-leads", "", "critical", "firebreak")
    paging(waits).send(pager, ack)
    assert stand_in.events()[-1] == {"routing_key": "R0UTINGKEY", "event_action": "acknowledge",
                                     "dedup_key": "firebreak-7-leads"}


def test_gives_up_after_the_attempts_and_does_not_retry_a_refusal(stand_in):
    waits: list[float] = []
    pager = PagerConfig(type="pagerduty", routing_key_env="PD_LEADS", events_url=stand_in.url, attempts=3)
    stand_in.fail(3, 429)
    with pytest.raises(PageFailed, match="HTTP 429.*after 3 attempt"):
        paging(waits).send(pager, EVENT)
    stand_in.fail(1, 400)
    with pytest.raises(PageFailed, match="HTTP 400"):
        paging(waits).send(pager, EVENT)
    assert len(stand_in.requests) == 4


def test_a_missing_key_or_an_unreachable_service_fails_clearly(stand_in):
    pager = PagerConfig(type="pagerduty", routing_key_env="PD_OTHER", events_url=stand_in.url)
    with pytest.raises(PageFailed, match="PD_OTHER is not set"):
        paging([]).send(pager, EVENT)
    stand_in.stop()
    dead = PagerConfig(type="webhook", url=stand_in.url, attempts=2)
    with pytest.raises(PageFailed, match="after 2 attempt"):
        paging([]).send(dead, EVENT)
    stand_in.server = type("Stopped", (), {"shutdown": lambda self: None, "server_close": lambda self: None})()


def test_webhook_gets_firebreak_json_with_its_authorization(stand_in):
    pager = PagerConfig(type="webhook", url=stand_in.url, auth_header_env="HOOK_AUTH")
    paging([]).send(pager, EVENT)
    request = stand_in.requests[0]
    assert request["headers"]["Authorization"] == "Bearer abc"
    assert request["body"] == {"type": "firebreak.page", "action": "trigger", "dedup_key": "firebreak-7-leads",
                               "summary": "Incident #7 (sev1): keys leaked", "severity": "critical",
                               "source": "firebreak", "details": {"incident": 7}}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_authorization_goes_nowhere_else(stand_in, status):
    """Issue 22 item 11: urllib followed a 302 and re-sent the Authorization header to its Location."""
    elsewhere = StandIn()
    try:
        stand_in.location = elsewhere.url
        stand_in.fail(1, status)
        pager = PagerConfig(type="webhook", url=stand_in.url, auth_header_env="HOOK_AUTH")
        with pytest.raises(PageFailed, match=f"HTTP {status}.*redirect, not followed"):
            paging([]).send(pager, EVENT)
        assert elsewhere.requests == [] and len(stand_in.requests) == 1
    finally:
        elsewhere.stop()


def test_failures_are_logged_without_the_urls_token_or_credentials(stand_in, caplog):
    token_url = stand_in.url + "?token=T0KEN-SECRET&x=1"
    stand_in.fail(1, 503)
    stand_in.fail(1, 502)
    with caplog.at_level("WARNING", logger="firebreak.paging"):
        paging([]).send(PagerConfig(type="webhook", url=token_url, attempts=3), EVENT)
        assert len(stand_in.requests) == 3 and stand_in.requests[-1]["path"].endswith("?token=T0KEN-SECRET&x=1")
        with_credentials = "http://hookuser:hookpass@127.0.0.1:9/hook/SECRETPATH?token=T0KEN-SECRET"
        with pytest.raises(PageFailed) as failed:
            paging([]).send(PagerConfig(type="webhook", url=with_credentials, attempts=2), EVENT)
    logged = caplog.text
    assert "paging http://127.0.0.1:" in logged and "HTTP 503" in logged and "paging http://127.0.0.1:9/…" in logged
    for secret in ("T0KEN-SECRET", "hookpass", "hookuser", "SECRETPATH", "/v2/enqueue"):
        assert secret not in logged and secret not in str(failed.value)
