"""Issue 23, words and details (items 9, 12, 13, 16): what a hurried responder types gets
a clear answer, through signed Slack requests to the local workspace."""

from __future__ import annotations

import dataclasses
import json

from tests.support.containment import declare, workspace
from tests.support.slack import ack_body, all_text


def answers_to(ws, text, user="alice", channel=None, command="/incident"):
    """The ack and every later answer (response_url) to one command, as one text."""
    seen = len(ws.fake.calls_to("response_url"))
    ack = ack_body(ws.sender.command(command, text, user=ws.user(user), channel=channel or ws.channel("general")))
    ws.settle()
    return "\n".join([all_text(ack)] + [all_text(c.body) for c in ws.fake.calls_to("response_url")[seen:]])


# ---------------------------------------------------------------- item 9
def test_item9_declare_sev_space_1_is_refused_listing_the_severities(settings, clock):
    ws = workspace(settings, clock)
    try:
        for typed in ("declare sev 1 Root login from Tor", "declare sev-1 Root login from Tor",
                      "declare private p 2 Root login"):
            said = answers_to(ws, typed)
            assert "is not a severity; use one of sev1, sev2, sev3, sev4" in said, said
        assert ws.services.incidents.count() == 0
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 12
def test_item12_timeline_page_and_incident_are_said_unambiguously(settings, clock):
    ws = workspace(settings, clock)
    try:
        first = declare(ws, title="First")
        second = declare(ws, title="Second")
        paged = answers_to(ws, "timeline page 1", channel=second.channel_id)
        assert f"Timeline of incident {second.label}, page 1" in paged
        other = answers_to(ws, f"timeline {first.id}", channel=second.channel_id)
        assert f"Timeline of incident {first.label}" in other
        assert f"This is incident {first.label}'s timeline, not this channel's ({second.label})" in other
        assert "`/incident timeline page 2`" in other
        refused = answers_to(ws, "timeline x", channel=second.channel_id)
        assert "“x” is neither an incident nor a page" in refused and "Timeline of" not in refused
        legacy = answers_to(ws, f"timeline #{first.id} 2", channel=second.channel_id)
        assert "For page 2, say `timeline page 2`" in legacy and "Timeline of" not in legacy
        helped = answers_to(ws, "help")
        assert "/incident timeline [#id] [page N]" in helped
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 13
def test_item13_an_action_item_for_someone_slack_did_not_recognise_is_refused(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        said = answers_to(ws, "action rotate the keys @dave", channel=incident.channel_id)
        assert "“@dave” is not someone Slack recognised" in said
        assert ws.services.repos.action_items.for_incident(incident.id) == []
        reassigned = answers_to(ws, "action assign 1 @dave", channel=incident.channel_id)
        assert "“@dave” is not someone Slack recognised" in reassigned
        answers_to(ws, f"action rotate the keys <@{ws.user('bob')}>", channel=incident.channel_id)
        [item] = ws.services.repos.action_items.for_incident(incident.id)
        assert item.owner == ws.user("bob")
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 16
def test_item16_a_misspelled_subcommand_suggests_the_right_one(settings, clock):
    ws = workspace(settings, clock)
    try:
        assert "Did you mean `declare`?" in answers_to(ws, "delcare sev2 Port scan")
        assert ws.services.incidents.count() == 0
    finally:
        ws.stop()


def test_item16_playbook_without_one_says_how_to_attach_one(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws, title="Something odd")
        said = answers_to(ws, "playbook", channel=incident.channel_id)
        assert f"Incident {incident.label} has no playbook. Attach one with `/incident playbook " in said
    finally:
        ws.stop()


def test_item16_crypto_mining_as_a_category_names_the_category_it_is_filed_under(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        said = answers_to(ws, "category crypto-mining", channel=incident.channel_id)
        assert "“crypto-mining” is a playbook, not a category: it is filed under malware" in said
        assert "`/incident playbook crypto-mining`" in said
        assert ws.services.incidents.get(incident.id).category != "crypto-mining"
    finally:
        ws.stop()


def test_item16_declare_private_without_a_title_opens_the_form_set_to_private(settings, clock):
    ws = workspace(settings, clock)
    try:
        ws.sender.command("/incident", "declare private", user=ws.user("alice"), channel=ws.channel("general"))
        [opened] = ws.fake.wait_for("views.open")
        view = opened.body["view"]
        view = json.loads(view) if isinstance(view, str) else view
        [visibility] = [b for b in view["blocks"] if b["block_id"] == "visibility"]
        assert visibility["element"]["initial_option"]["value"] == "private"
        assert ws.services.incidents.count() == 0
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 10
def test_item10_scorecard_and_postmortem_name_people_and_say_dry_runs_in_words(settings, clock, moto_inprocess):
    from core.drills.loader import fill
    from core.incidents.postmortem import for_incident
    from tests.support.slack import settled

    ws = workspace(settings, clock)
    try:
        ws.sender.command("/incident", "drill crypto-mining", user=ws.user("alice"), channel=ws.channel("general"))
        drill = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.is_drill and i.summary_ts),
                                         None))
        target = fill("{instance:web-1}", drill.drill["values"])  # no sandbox here: a dry run
        ws.sender.command("/contain", f"isolate-instance {target}", user=ws.user("bob"), channel=drill.channel_id)
        settled(ws, lambda: [r for r in ws.services.repos.containment.for_incident(drill.id) if r.message_ts])
        ws.sender.command("/incident", "drill end", user=ws.user("alice"), channel=drill.channel_id)
        [card] = ws.fake.wait_for("chat.postMessage", lambda c: "Drill scorecard" in all_text(c.body))
        shown = all_text(card.body)
        assert "{@" not in shown, shown
        assert f"<@{ws.user('bob')}>: containment, requested containment" in shown
        document = for_incident(ws.services, ws.services.incidents.get(drill.id))
        [line] = [ln for ln in document.splitlines() if "isolate-instance" in ln and ln.startswith("- C")]
        assert "planned only (dry run), nothing changed" in line and "decided by" not in line
        assert "{'" not in document and "['" not in document and "{@" not in document
    finally:
        ws.stop()


def test_item10_memory_of_a_request_is_written_in_words():
    from core.incidents.postmortem import _in_words

    assert _in_words({"eni-1": ["sg-a", "sg-b"], "eni-2": []}) == "eni-1 sg-a, sg-b"
    assert _in_words([{"rule": 100, "cidr": "198.51.100.7/32"}]) == "rule 100, cidr 198.51.100.7/32"
    assert _in_words(True) == "yes"


def test_item10_cli_export_beside_the_local_workspace_names_people(settings, tmp_path):
    from composition import local_workspace
    from tests.support.cli import run_bot
    from tests.support.slack import eventually

    url = f"sqlite:///{tmp_path / 'firebreak.db'}"
    local = dataclasses.replace(settings, secrets=dataclasses.replace(settings.secrets, database_url=url))
    ws = local_workspace(local, threads=2, state_file=tmp_path / "local-slack.json")
    try:
        ws.sender.command("/incident", "declare sev2 Named people", user=ws.user("bob"), channel=ws.channel("general"))
        eventually(lambda: next((i for i in ws.services.incidents.recent() if i.announce_ts), None))
        bob = ws.user("bob")
    finally:
        ws.stop()
    exported = run_bot("export", "1", "--format", "md", env={"DATABASE_URL": url})
    assert exported.returncode == 0, exported.stderr
    assert "by @bob" in exported.stdout and bob not in exported.stdout


# ---------------------------------------------------------------- item 11
def test_item11_an_expired_approval_card_loses_its_buttons_and_a_click_says_how_to_request_again(
        settings, clock, moto_inprocess):
    import boto3

    from core.scheduling.registry import expire_approvals
    from tests.support.containment import click, contain, wait_state
    from tests.support.slack import settled

    def card_of(request_id):
        request = ws.services.repos.containment.get(request_id)
        return next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts)

    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("swept", "clicked"):
            s3.create_bucket(Bucket=bucket)
            contain(ws, incident, f"block-public-s3 {bucket}")
        shown = settled(ws, lambda: (found := [r for r in ws.services.repos.containment.for_incident(
            incident.id) if r.message_ts]) and len(found) == 2 and {r.target: r for r in found})
        swept, clicked = shown["swept"], shown["clicked"]
        assert "Approve" in all_text(card_of(swept.id))
        clock.advance(minutes=31)

        assert expire_approvals(ws.services) == 2  # the clock's sweep
        for request in (swept, clicked):
            shown = all_text(card_of(request.id))
            assert "expired" in shown and "Approve" not in shown and "Deny" not in shown
            assert f"/contain block-public-s3 {request.target}" in shown

        seen = len(ws.fake.calls_to("response_url"))
        click(ws, incident, clicked.id, user="bob")
        answer = all_text(settled(ws, lambda: ws.fake.calls_to("response_url")[seen:])[-1].body)
        assert f"Request {clicked.label} (block-public-s3 clicked) is already expired" in answer
        assert "Request it again for a fresh plan: `/contain block-public-s3 clicked`" in answer
        assert wait_state(ws, clicked.id, "expired")
    finally:
        ws.stop()


def test_item11_a_click_before_the_sweep_edits_the_card_to_expired(settings, clock, moto_inprocess):
    import boto3

    from tests.support.containment import click, contain
    from tests.support.slack import settled

    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="late")
        contain(ws, incident, "block-public-s3 late")
        request = settled(ws, lambda: next((r for r in ws.services.repos.containment.for_incident(incident.id)
                                            if r.message_ts), None))
        clock.advance(minutes=31)
        click(ws, incident, request.id, user="bob")
        ws.fake.wait_for("chat.update", lambda c: "expired" in all_text(c.body) and "Approve" not in all_text(c.body))
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 14
def test_item14_quarantine_help_plan_and_readme_all_say_awsdenyall(settings, clock, moto_inprocess):
    import boto3

    from tests.conftest import REPO
    from tests.support.containment import contain
    from tests.support.slack import settled

    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        helped = answers_to(ws, "help", command="/contain", channel=incident.channel_id)
        assert "attach the AWS managed policy AWSDenyAll to an IAM user" in helped and "inline" not in helped
        boto3.client("iam", region_name="us-east-1").create_user(UserName="eve")
        contain(ws, incident, "quarantine-user eve")
        request = settled(ws, lambda: next((r for r in ws.services.repos.containment.for_incident(incident.id)
                                            if r.message_ts), None))
        card = next(m for m in ws.fake.messages(request.message_channel) if m["ts"] == request.message_ts)
        assert "Attach the AWS managed policy AWSDenyAll" in all_text(card) and "inline" not in all_text(card)
        readme = (REPO / "README.md").read_text()
        assert "/contain quarantine-user <name>                  attach the AWS managed policy AWSDenyAll" in readme
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 15, and item 16's "looked in"
def test_item15_a_linked_findings_foreign_account_refusal_names_the_flags_and_accounts(settings, clock, moto_inprocess):
    from tests.handlers.test_contain import _incident_with_s3_finding

    ws = workspace(settings, clock)
    try:
        incident = _incident_with_s3_finding(ws, account="444455556666")
        said = answers_to(ws, "block-public-s3 acme-finance-exports", command="/contain", channel=incident.channel_id)
        assert "444455556666 is not configured" in said
        assert ("To act in one of those: `/contain block-public-s3 acme-finance-exports --account 123456789012 "
                "--region us-west-2`") in said
        assert "The account came from a finding linked to this incident" in said
        assert "containment.accounts has none; Firebreak's own is 123456789012" in said
        assert ws.services.repos.containment.for_incident(incident.id) == []
    finally:
        ws.stop()


def test_item16_a_refusal_at_home_says_the_account_once_in_plain_words(settings, clock, moto_inprocess):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        said = answers_to(ws, "block-public-s3 no-such-bucket-here", command="/contain", channel=incident.channel_id)
        assert "looked in the account of Firebreak’s own credentials, region us-east-1" in said
        assert "from Firebreak's own credentials" not in said and "account of Firebreak’s own credentials from" not in said
    finally:
        ws.stop()


# ---------------------------------------------------------------- item 16, the rest
def test_item16_a_contain_step_is_ticked_when_the_same_action_is_requested_by_hand(settings, clock, moto_inprocess):
    from tests.support.containment import click, contain, instance, wait_state
    from tests.support.slack import settled

    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        answers_to(ws, "playbook crypto-mining", channel=incident.channel_id)
        settled(ws, lambda: ws.services.incidents.get(incident.id).playbook == "crypto-mining")
        instance_id = instance()[0]
        contain(ws, incident, f"isolate-instance {instance_id}")
        request = settled(ws, lambda: next((r for r in ws.services.repos.containment.for_incident(incident.id)
                                            if r.message_ts), None))
        click(ws, incident, request.id, user="bob")
        wait_state(ws, request.id, "succeeded")
        done = settled(ws, lambda: ws.services.incidents.get(incident.id).playbook_state.get("done"))
        [(key, tick)] = done.items()
        assert tick["by"] == ws.user("alice")
        entries = ws.services.incidents.timeline(incident.id, limit=None)
        assert any(e.kind == "playbook_step" and f"isolate-instance {instance_id}" in e.text for e in entries)
    finally:
        ws.stop()


def test_item16_the_page_dm_names_the_incident_channel(settings, clock):
    ws = workspace(settings, clock)
    try:
        incident = declare(ws)
        answers_to(ws, f"page <@{ws.user('bob')}> please look", channel=incident.channel_id)
        [dm] = ws.fake.wait_for("chat.postMessage", lambda c: c.body.get("channel") == ws.user("bob"))
        assert f"Join #{incident.channel_name}." in all_text(dm.body)
    finally:
        ws.stop()


def test_item16_drill_intro_and_a_repeated_drill_end_in_the_drill_channel(settings, clock, moto_inprocess):
    from tests.support.slack import settled

    ws = workspace(settings, clock)
    try:
        ws.sender.command("/incident", "drill port-probe", user=ws.user("alice"), channel=ws.channel("general"))
        drill = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.is_drill and i.summary_ts),
                                         None))
        [intro] = ws.fake.wait_for("chat.postMessage", lambda c: "This is a drill" in all_text(c.body))
        assert "over at once" not in all_text(intro.body)
        assert "arrive" in all_text(intro.body) or "arrives" in all_text(intro.body)
        answers_to(ws, "drill end", channel=drill.channel_id)
        again = answers_to(ws, "drill end", channel=drill.channel_id)
        assert f"Drill {drill.label} already ended" in again and "its scorecard" in again and "{@" not in again
    finally:
        ws.stop()


def test_item16_drill_intro_says_when_findings_arrive_in_words():
    from datetime import timedelta
    from types import SimpleNamespace

    from core.drills.runner import _arrival

    def said(count, seconds):
        return _arrival(SimpleNamespace(findings=[object()] * count, duration=timedelta(seconds=seconds)))

    assert said(3, 0) == "3 findings arrive at once"
    assert said(3, 300) == "3 findings arrive over 5 min"
    assert said(2, 45) == "2 findings arrive over 45 s"
    assert said(1, 0) == "The finding arrives at once"
    assert said(1, 120) == "The finding arrives after 2 min"
