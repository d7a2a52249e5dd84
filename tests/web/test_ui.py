"""The browser view (/ui) through the bot's WSGI app: login required, the local login,
CSRF on every form, the CSP and cookie flags, the login rate limit, the same visibility
rule as Slack for private incidents, and changes posted to the incident's channel once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.browser import changes
from core.findings.pipeline import ingest
from tests.support.browser_view import UiClient, declare
from tests.support.findings import finding
from tests.support.slack import all_text, eventually


@pytest.fixture
def alice(workspace):
    return UiClient(workspace).sign_in("alice")


def texts(ws, channel):
    return [all_text(m) for m in ws.fake.messages(channel)]


def test_every_page_needs_a_sign_in(workspace):
    browser = UiClient(workspace)
    for path in ("/ui/incidents", "/ui/incidents/1", "/ui/report", "/ui/health"):
        answer = browser.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/ui/login"), path
    assert browser.post("/ui/incidents/1/note", {"text": "x"}).status_code == 400  # no CSRF token, no session


def test_local_login_opens_the_incident_list(workspace):
    incident = declare(workspace, title="Keys leaked on a public repo")
    browser = UiClient(workspace).sign_in("bob")
    page = browser.get("/ui/incidents").get_data(as_text=True)
    assert "Keys leaked on a public repo" in page and f'href="/ui/incidents/{incident.id}"' in page
    assert "bob" in page  # who is signed in


def test_unknown_person_cannot_sign_in(workspace):
    browser = UiClient(workspace)
    answer = browser.post("/ui/login", {"person": "mallory", "csrf_token": browser.token()})
    assert answer.status_code == 403 and "mallory" in answer.get_data(as_text=True)
    assert browser.get("/ui/incidents").status_code == 302


def test_strict_csp_and_cookie_flags(workspace):
    browser = UiClient(workspace)
    answer = browser.get("/ui/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    assert "<script" not in html and "<style" not in html and " style=" not in html
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/ui" in cookie


def test_a_form_without_its_csrf_token_is_refused(alice, workspace):
    incident = declare(workspace)
    refused = alice.post(f"/ui/incidents/{incident.id}/note", {"text": "forged from another site"})
    assert refused.status_code == 400 and "security token" in refused.get_data(as_text=True)
    wrong = alice.post(f"/ui/incidents/{incident.id}/note", {"text": "forged", "csrf_token": "not-the-token"})
    assert wrong.status_code == 400
    assert not [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "note"]


def test_sign_in_attempts_are_rate_limited(workspace):
    limit = workspace.services.config.ui.login_attempts_per_minute
    browser = UiClient(workspace, remote_addr="203.0.113.9")
    token = browser.token()
    answers = [browser.post("/ui/login", {"person": "nobody", "csrf_token": token}).status_code
               for _ in range(limit + 1)]
    assert answers[:limit] == [403] * limit and answers[limit] == 429
    late = browser.post("/ui/login", {"person": "alice", "csrf_token": token})
    assert late.status_code == 429 and int(late.headers["Retry-After"]) >= 1, "even the right person waits"
    other = UiClient(workspace, remote_addr="203.0.113.10")
    assert other.post("/ui/login", {"person": "alice", "csrf_token": other.token()}).status_code == 302


def test_a_private_incident_is_absent_and_404_for_an_outsider(workspace):
    secret = declare(workspace, user="alice", title="Insider exfiltration", private=True)
    public = declare(workspace, user="alice", title="Phishing wave")
    outsider = UiClient(workspace).sign_in("carol")
    listing = outsider.get("/ui/incidents").get_data(as_text=True)
    assert "Phishing wave" in listing and "Insider exfiltration" not in listing
    page = outsider.get(f"/ui/incidents/{secret.id}")
    assert page.status_code == 404 and "Insider exfiltration" not in page.get_data(as_text=True)
    assert outsider.get(f"/ui/incidents/{public.id}").status_code == 200
    insider = UiClient(workspace).sign_in("alice")
    assert "Insider exfiltration" in insider.get(f"/ui/incidents/{secret.id}").get_data(as_text=True)
    # a form aimed at it is refused as if it did not exist
    assert outsider.submit("/ui/incidents", f"/ui/incidents/{secret.id}/note", {"text": "hi"}).status_code == 404


def test_a_note_from_the_browser_is_on_the_timeline_and_posted_once(alice, workspace):
    incident = declare(workspace)
    answer = alice.submit(f"/ui/incidents/{incident.id}", f"/ui/incidents/{incident.id}/note",
                          {"text": "Isolated the host by hand"})
    assert answer.status_code == 302
    page = alice.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Note added." in page and "Isolated the host by hand" in page
    notes = [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "note"]
    assert [(n.actor, n.text) for n in notes] == [(workspace.user("alice"), "Isolated the host by hand")]
    posted = [t for t in texts(workspace, incident.channel_id) if "Isolated the host by hand" in t]
    assert len(posted) == 1
    assert changes.deliver_pending(workspace.services) == 0  # the sweep finds nothing left to post
    assert len([t for t in texts(workspace, incident.channel_id) if "Isolated the host by hand" in t]) == 1


def test_a_phase_change_made_while_slack_is_down_is_posted_once_when_it_is_back(alice, workspace):
    incident = declare(workspace)
    workspace.fake.outage(500)
    answer = alice.submit(f"/ui/incidents/{incident.id}", f"/ui/incidents/{incident.id}/phase",
                          {"phase": "analysis"})
    assert answer.status_code == 302
    assert workspace.services.incidents.get(incident.id).phase == "analysis", "saved while Slack is down"
    assert changes.deliver_pending(workspace.services) == 0  # still down: nothing posted, nothing lost
    workspace.fake.outage(None)
    assert changes.deliver_pending(workspace.services) == 1
    assert changes.deliver_pending(workspace.services) == 0
    posted = [t for t in texts(workspace, incident.channel_id) if "Phase: detection → analysis" in t]
    assert len(posted) == 1, posted
    summary = workspace.fake.messages(incident.channel_id)[0]
    assert "(sev2, analysis)" in all_text(summary), "the pinned summary catches up too"


def test_a_phase_not_allowed_next_is_refused_with_the_reason(alice, workspace):
    incident = declare(workspace)
    answer = alice.submit(f"/ui/incidents/{incident.id}", f"/ui/incidents/{incident.id}/phase", {"phase": "closed"})
    page = alice.get(answer.headers["Location"]).get_data(as_text=True)
    assert "cannot go from detection to closed" in page
    assert workspace.services.incidents.get(incident.id).phase == "detection"


def test_health_page_shows_queue_dead_letters_clock_and_intake_lag(alice, workspace):
    page = alice.get("/ui/health").get_data(as_text=True)
    assert 'id="queued">0<' in page and 'id="dead">0' in page and "no clock is running" in page
    assert 'id="lag">unknown' in page

    repos, now = workspace.services.repos, workspace.services.clock.now()
    for key in ("stuck-1", "stuck-2"):
        repos.jobs.enqueue(key=key, route="nowhere", payload={}, at=now + timedelta(hours=1))  # not due yet
    repos.jobs.enqueue(key="doomed", route="nowhere", payload={}, at=now + timedelta(minutes=30))
    later = now + timedelta(minutes=45)  # the workspace's own workers see nothing due before then
    doomed = repos.jobs.claim("test", now=later, lease=timedelta(minutes=1))
    assert doomed.key == "doomed"
    assert repos.jobs.fail(doomed.id, doomed.locked_by, error="Slack said no", at=later, retry_at=None) == "dead"
    repos.clock_leases.acquire("clock", "clock-host:4242", timedelta(minutes=1), now)
    seen = (now - timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ingest(workspace.services, [finding(id="f-lag", first_seen=seen, last_seen=seen, updated_at=seen)], declare=False)

    page = alice.get("/ui/health").get_data(as_text=True)
    assert 'id="queued">2<' in page and 'id="dead">1' in page and "Slack said no" in page
    assert "clock-host:4242" in page
    lag = re.search(r'id="lag">0:0(\d):(\d\d)', page)
    assert lag and 85 <= int(lag.group(1)) * 60 + int(lag.group(2)) <= 120, page[page.index('id="lag"'):][:60]


def test_filters_narrow_the_list(alice, workspace):
    declare(workspace, title="Real one")
    drill = declare(workspace, title="Practice run", drill={"scenario": "demo"})
    moved = declare(workspace, title="Being analysed")
    changes.change_phase(workspace.services, moved.id, actor=workspace.user("alice"), phase="analysis")

    def titles(query):
        page = alice.get(f"/ui/incidents?{query}").get_data(as_text=True)
        return {t for t in ("Real one", "Practice run", "Being analysed") if t in page}

    assert titles("") == {"Real one", "Practice run", "Being analysed"}
    assert titles("kind=drill") == {"Practice run"} and drill.is_drill
    assert titles("kind=real") == {"Real one", "Being analysed"}
    assert titles("phase=analysis") == {"Being analysed"}
    assert titles("severity=sev1") == set()
    assert titles("account=999999999999") == set()


def test_the_timeline_is_paged(workspace):
    incident = declare(workspace)
    for n in range(1, 61):
        changes.add_note(workspace.services, incident.id, actor=workspace.user("alice"), text=f"step {n:02d}")
    alice = UiClient(workspace).sign_in("alice")
    first = alice.get(f"/ui/incidents/{incident.id}").get_data(as_text=True)
    assert "page 1 of 2" in first and "step 01" in first and "step 60" not in first
    second = alice.get(f"/ui/incidents/{incident.id}?page=2").get_data(as_text=True)
    assert "page 2 of 2" in second and "step 60" in second and "step 01" not in second
    assert "page 2 of 2" in alice.get(f"/ui/incidents/{incident.id}?page=99").get_data(as_text=True)


def test_while_slack_is_down_a_private_incident_stays_hidden_and_the_list_still_opens(workspace):
    secret = declare(workspace, user="alice", title="Insider exfiltration", private=True)
    declare(workspace, user="alice", title="Phishing wave")
    carol, alice = UiClient(workspace).sign_in("carol"), UiClient(workspace).sign_in("alice")
    workspace.fake.outage(500)
    listing = carol.get("/ui/incidents")
    assert listing.status_code == 200 and "Phishing wave" in listing.get_data(as_text=True)
    assert "Insider exfiltration" not in listing.get_data(as_text=True)
    assert carol.get(f"/ui/incidents/{secret.id}").status_code == 404
    assert alice.get(f"/ui/incidents/{secret.id}").status_code == 200, "its declarer still sees it"


def test_after_sign_in_back_to_the_page_asked_for_never_to_another_site(workspace):
    incident = declare(workspace)
    browser = UiClient(workspace)
    asked = browser.get(f"/ui/incidents/{incident.id}?page=1")
    assert asked.headers["Location"].startswith("/ui/login?next=")
    token = browser.token(asked.headers["Location"])
    back = browser.post("/ui/login", {"person": "alice", "csrf_token": token,
                                      "next": f"/incidents/{incident.id}?page=1"})
    assert back.headers["Location"] == f"/ui/incidents/{incident.id}?page=1"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        other = UiClient(workspace)
        answer = other.post("/ui/login", {"person": "alice", "csrf_token": other.token(), "next": evil})
        assert answer.headers["Location"] == "/ui/incidents", evil
