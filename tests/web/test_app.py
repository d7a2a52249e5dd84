"""The HTTP front door: signatures, health and metrics."""

import json
import time
import urllib.error
import urllib.request

from handlers.slack_endpoint import SlackEndpoint
from web.app import MetricsApp, WebApp
from web.server import RunningServer
from tests.support.slack import ack_body


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _count(workspace):
    return workspace.services.incidents.count()


def test_forged_signature_is_refused_with_403_and_runs_nothing(workspace):
    reply = workspace.sender.command("/incident", "declare Forged", user=workspace.user("alice"),
                                     channel=workspace.channel("general"), secret="not-the-signing-secret")
    assert reply.status == 403
    assert workspace.settle()
    assert _count(workspace) == 0 and workspace.fake.calls_to("response_url") == []


def test_tampered_body_is_refused(workspace):
    body = "command=%2Fincident&text=help&user_id=U1&channel_id=C1&trigger_id=t"
    headers = workspace.sender.sign(body)
    reply = workspace.sender.send(body.replace("help", "declare+x"), signature=headers["X-Slack-Signature"],
                                  timestamp=int(headers["X-Slack-Request-Timestamp"]))
    assert reply.status == 403


def test_stale_timestamp_is_refused_even_when_correctly_signed(workspace):
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = workspace.sender.command("/incident", "declare Replayed", user=workspace.user("alice"),
                                     channel=workspace.channel("general"), timestamp=six_minutes_ago)
    assert reply.status == 403
    assert _count(workspace) == 0


def test_missing_signature_headers_are_refused(workspace):
    request = urllib.request.Request(workspace.url + "/slack/events", data=b"command=%2Fincident&text=help",
                                     method="POST")
    try:
        urllib.request.urlopen(request, timeout=5)
        status = 200
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 403


def test_url_verification_challenge_is_answered(workspace):
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    reply = workspace.sender.send(body, content_type="application/json")
    assert reply.status == 200 and "c-123" in reply.body


def test_healthz_reports_database(workspace):
    status, body = _get(workspace.url + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
    workspace.services.db.ping = lambda: False  # the database went away
    status, body = _get(workspace.url + "/healthz")
    assert status == 503 and json.loads(body)["database"] == "unreachable"


def test_metrics_count_requests_and_rejections(workspace):
    alice, general = workspace.user("alice"), workspace.channel("general")
    ack_body(workspace.sender.command("/incident", "help", user=alice, channel=general))
    ack_body(workspace.sender.command("/incident", "help", user=alice, channel=general))
    workspace.sender.command("/incident", "help", user=alice, channel=general, secret="wrong")
    metrics = RunningServer(MetricsApp(workspace.services), "127.0.0.1", 0, 1).start()
    try:
        status, text = _get(metrics.url + "/metrics")
    finally:
        metrics.stop()
    assert status == 200
    assert 'firebreak_http_requests_total{path="/slack/events",status="200"} 2.0' in text
    assert 'firebreak_http_requests_total{path="/slack/events",status="403"} 1.0' in text
    assert 'firebreak_rejected_requests_total{reason="signature"} 1.0' in text
    assert 'firebreak_slack_requests_total{kind="command"} 2.0' in text


def test_metrics_are_not_served_on_the_main_port_unless_configured(workspace):
    """Issue 10 item 12: /metrics was public on the main port (0.0.0.0 by default)."""
    assert workspace.services.config.server.metrics_port is not None  # shipped: a listener of its own
    assert _get(workspace.url + "/metrics")[0] == 404
    assert _get(workspace.url + "/healthz")[0] == 200  # load balancers still reach health
    on_main = RunningServer(WebApp(SlackEndpoint(workspace.bolt, workspace.services), workspace.services, serve_metrics=True), "127.0.0.1", 0, 1).start()
    try:
        status, text = _get(on_main.url + "/metrics")  # server.metrics_port: null
        assert status == 200 and "firebreak_http_requests_total" in text
    finally:
        on_main.stop()


def test_metrics_listener_serves_only_metrics_and_health(workspace):
    metrics = RunningServer(MetricsApp(workspace.services), "127.0.0.1", 0, 1).start()
    try:
        assert _get(metrics.url + "/healthz")[0] == 200
        assert _get(metrics.url + "/slack/events")[0] == 404
        assert _get(metrics.url + "/intake/sns")[0] == 404
    finally:
        metrics.stop()


def test_shipped_metrics_listener_is_loopback_only():
    from core.settings import load_settings

    server = load_settings(environ={}).config.server
    assert server.metrics_host == "127.0.0.1" and server.metrics_port and server.warnings() == []
    exposed = server.model_copy(update={"metrics_port": None})
    assert "server.metrics_port is null" in exposed.warnings()[0]


def test_unknown_path_is_404(workspace):
    assert _get(workspace.url + "/admin")[0] == 404


def test_app_mention_gets_a_pointer_to_help_once_even_if_retried(workspace):
    event = {"type": "app_mention", "user": workspace.user("bob"), "text": "<@UBOT> help?",
             "ts": "1700000000.000100", "channel": workspace.channel("general"), "event_ts": "1700000000.000100"}
    assert workspace.sender.event(event, event_id="Ev1").status == 200
    [call] = workspace.fake.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000100"
    assert "/incident help" in json.dumps(call.body["blocks"])
    assert workspace.sender.event(event, event_id="Ev1", retry_num=1).status == 200
    assert workspace.settle()
    assert len(workspace.fake.calls_to("chat.postMessage")) == 1
