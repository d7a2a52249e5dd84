"""The browser view in real headless Chromium (Debian's package, through chromedriver):
sign in, open an incident, approve a containment request as a second person and see it
run in moto; a private incident is absent for a person outside it. Each page is saved as
a screenshot under the test's tmp_path, and a console error (a CSP refusal included) fails
the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.clock import ManualClock
from tests.support.browser_view import declare as declare_in_core
from tests.support.chromium import chromium  # noqa: F401 - the fixture
from tests.support.containment import contain, declare, eni_groups, instance, requests, wait_state, workspace
from tests.support.slack import ack_body, settled

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings, ManualClock())
    yield ws
    ws.stop()


def sign_in(browser, ws, person: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.open(f"{ws.url}/ui/", "login")
    Select(browser.driver.find_element(By.ID, "person")).select_by_visible_text(person)
    browser.click("#sign-in", f"signed-in-{person}")
    assert "Sign out" in browser.text()


def test_sign_in_open_an_incident_and_approve_as_a_second_person(ws, chromium):
    browser = chromium
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    before = len(requests(ws))
    assert ack_body(contain(ws, incident, f"isolate-instance {instance_id}", user="alice")) == {}
    request = settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before and found[-1])

    sign_in(browser, ws, "bob")
    assert incident.title in browser.text()
    browser.click(f'a[href="/ui/incidents/{incident.id}"]', "incident")
    assert f"{incident.label} {incident.title}" in browser.text() and "requested" in browser.text()
    assert list(eni_groups(instance_id).values()) == [sorted(groups)]

    browser.click(f"#approve-{request.id}", "approved")
    done = wait_state(ws, request.id, "succeeded")
    assert done.decided_by == ws.user("bob") and done.outcome["verified"]
    assert list(eni_groups(instance_id).values()) == [list(done.memory["isolation"].values())]
    browser.open(f"{ws.url}/ui/incidents/{incident.id}", "incident-after")
    assert "succeeded" in browser.text() and f"approve-{request.id}" not in browser.driver.page_source
    from selenium.webdriver.common.by import By

    browser.driver.find_element(By.ID, "note-text").send_keys("Host isolated; snapshot next")
    browser.click("#note-form button", "note-added")
    assert "Note added." in browser.text() and "Host isolated; snapshot next" in browser.text()

    browser.open(f"{ws.url}/ui/report", "report")
    assert "program report" in browser.text()
    browser.open(f"{ws.url}/ui/health", "health")
    assert "Dead letters" in browser.text()
    if os.environ.get("FIREBREAK_DOCS_SCREENSHOTS"):  # README pictures: FIREBREAK_DOCS_SCREENSHOTS=1
        browser.open(f"{ws.url}/ui/incidents/{incident.id}", "incident-for-docs")
        browser.full_page_shot(DOCS / "browser-incident.png")
        browser.open(f"{ws.url}/ui/report", "report-for-docs")
        browser.full_page_shot(DOCS / "browser-report.png")
    assert len(browser.shots) >= 6 and all(p.stat().st_size > 1000 for p in browser.shots)


def test_a_private_incident_is_absent_for_a_person_outside_it(ws, chromium):
    browser = chromium
    secret = declare_in_core(ws, user="alice", title="Insider exfiltration", private=True)
    declare_in_core(ws, user="alice", title="Phishing wave")
    sign_in(browser, ws, "carol")
    listing = browser.text()
    assert "Phishing wave" in listing and "Insider exfiltration" not in listing
    browser.open(f"{ws.url}/ui/incidents/{secret.id}", "private-404", expect_status=404)
    assert "Not found" in browser.text() and "Insider exfiltration" not in browser.driver.page_source
    # the console check is no formality: an unexpected failed load is an error it reports
    with pytest.raises(AssertionError, match="console errors"):
        browser.open(f"{ws.url}/ui/static/missing.css", "missing-file")
