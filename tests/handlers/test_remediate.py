"""/remediate through signed Slack requests against the fake Slack and moto: an isolation
approved with /contain is lifted in recovery with /remediate lift-isolation (card, approval by
a second person, effect in AWS, the isolation taken out of effect), and a console password is
deleted, or refused for a protected principal, in plain words."""

from __future__ import annotations

import boto3
import pytest

from core.clock import ManualClock
from core.containment.flow import store
from tests.support.containment import click, contain, declare, eni_groups, instance, requests, wait_state, workspace
from tests.support.slack import ack_body, all_text, mrkdwn_of, settled


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings, ManualClock(), protected_principals=["breakglass"])
    yield ws
    ws.stop()


def remediate(ws, incident, text, user="alice"):
    return ws.sender.command("/remediate", text, user=ws.user(user), channel=incident.channel_id)


def requested(ws, incident, send):
    before = len(requests(ws))
    assert ack_body(send()) == {}
    return settled(ws, lambda: len(found := sorted(requests(ws), key=lambda r: r.id)) > before
                   and found[-1].message_ts and found[-1])


def answer_after(ws, send):
    seen = len(ws.fake.calls_to("response_url"))
    send()
    calls = settled(ws, lambda: len(found := ws.fake.calls_to("response_url")) > seen and found)
    return all_text(calls[-1].body)


def card_text(ws, request):
    request = store(ws.services).get(request.id)
    return mrkdwn_of(next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts))


@pytest.mark.slow
def test_an_isolation_is_lifted_in_recovery_through_slack(ws):
    instance_id, _, _, groups = instance()
    incident = declare(ws)
    isolation = requested(ws, incident, lambda: contain(ws, incident, f"isolate-instance {instance_id}"))
    click(ws, incident, isolation.id, user="bob")
    wait_state(ws, isolation.id, "succeeded")
    assert list(eni_groups(instance_id).values()) != [sorted(groups)]

    refused = answer_after(ws, lambda: remediate(ws, incident, f"lift-isolation {instance_id}"))
    assert "lift-isolation is a recovery step: move the incident to eradication" in refused
    assert list(eni_groups(instance_id).values()) != [sorted(groups)]

    ws.sender.command("/incident", "phase eradication", user=ws.user("alice"), channel=incident.channel_id)
    settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "eradication")
    lift = requested(ws, incident, lambda: remediate(ws, incident, f"lift-isolation {instance_id}"))
    assert lift.label == f"R{lift.id}" and lift.state == "requested"
    text = settled(ws, lambda: (t := card_text(ws, lift)) and "back to" in t and t)
    assert f"isolation in place: C{isolation.id}" in text and "incident in eradication" in text
    assert list(eni_groups(instance_id).values()) != [sorted(groups)], "nothing changes before approval"

    click(ws, incident, lift.id, user="bob")
    done = wait_state(ws, lift.id, "succeeded")
    assert done.decided_by == ws.user("bob") and done.outcome["verified"]
    assert list(eni_groups(instance_id).values()) == [sorted(groups)]
    assert store(ws.services).get(isolation.id).state == "undone", "the isolation is no longer in effect"
    kinds = [(e.kind, e.text.split(":")[0]) for e in ws.services.incidents.timeline(incident.id)
             if e.data.get("request") == lift.id]
    assert kinds == [("remediation", "Remediation requested"), ("remediation", "Remediation approved"),
                     ("remediation", "Remediation done")]


@pytest.mark.slow
def test_a_console_password_is_deleted_and_a_protected_one_refused(ws):
    iam = boto3.client("iam")
    for user in ("intern", "breakglass"):
        iam.create_user(UserName=user)
        iam.create_login_profile(UserName=user, Password="Correct-Horse-9")
    incident = declare(ws)
    refused = answer_after(ws, lambda: remediate(ws, incident, "delete-login-profile breakglass"))
    assert "Refusing to delete the console password of IAM user breakglass" in refused
    assert "containment.protected_principals (breakglass)" in refused
    assert iam.get_login_profile(UserName="breakglass")["LoginProfile"]

    request = requested(ws, incident, lambda: remediate(ws, incident, "delete-login-profile intern"))
    assert "no undo: a password cannot be restored" in settled(ws, lambda: card_text(ws, request))
    click(ws, incident, request.id, user="bob")
    wait_state(ws, request.id, "succeeded")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="intern")
