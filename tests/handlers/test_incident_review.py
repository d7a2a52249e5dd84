"""Playbooks, action items and the postmortem, driven through signed Slack requests."""

import dataclasses
import json


from core.clock import ManualClock
from composition import local_workspace
from tests.handlers.test_incident_lifecycle import declare, responses, run
from tests.support.slack import all_text, settled


def checklist_messages(ws, incident):
    return [m for m in ws.fake.channels[incident.channel_id].messages if "checklist for incident" in m.get("text", "")]


def test_matching_category_attaches_the_playbook_and_posts_its_checklist(workspace):
    incident = declare(workspace, "declare sev2 Access key used from Tor")
    assert incident.playbook is None  # category "other": nothing matches
    run(workspace, "category credential-compromise", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).category == "credential-compromise")
    run(workspace, "playbook compromised-iam-credentials", incident=incident)
    current = settled(workspace, lambda: (i := workspace.services.incidents.get(incident.id)).playbook_state.get("messages")
                         and i)
    assert current.playbook == "compromised-iam-credentials"
    [message] = checklist_messages(workspace, current)
    assert "Playbook compromised-iam-credentials — detection" in all_text(message)
    buttons = [b["accessory"]["value"] for b in message["blocks"] if "accessory" in b]
    assert buttons == [f"{incident.id}:detection-1", f"{incident.id}:detection-2"]
    summary = [c.body for c in workspace.fake.calls_to("chat.update") if c.body["ts"] == incident.summary_ts][-1]
    assert "compromised-iam-credentials: 0/" in json.dumps(summary["blocks"])


def test_declare_with_a_matching_category_attaches_automatically(workspace):
    workspace.sender.command("/incident", "declare", user=workspace.user("alice"), channel=workspace.channel("general"))
    workspace.fake.wait_for("views.open")
    values = {"title": {"title": {"type": "plain_text_input", "value": "Bucket open to the world"}},
              "severity": {"severity": {"type": "static_select", "selected_option": {"value": "sev2"}}},
              "category": {"category": {"type": "static_select", "selected_option": {"value": "data-exposure"}}}}
    workspace.sender.view_submission(user=workspace.user("alice"), callback_id="incident_declare", values=values)
    incident = settled(workspace, lambda: next((i for i in workspace.services.incidents.recent()
                                        if i.playbook_state.get("messages")), None))
    assert incident.playbook == "s3-public-exposure"
    assert any(e.kind == "playbook" for e in workspace.services.incidents.timeline(incident.id))


def test_ticking_a_step_is_attributed_once_and_moving_phase_posts_the_next_list(workspace):
    incident = declare(workspace)
    run(workspace, "playbook compromised-ec2-instance", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).playbook_state.get("messages"))
    press = dict(user=workspace.user("bob"), channel=incident.channel_id, action_id="playbook_step_done",
                 value=f"{incident.id}:detection-1")
    workspace.sender.block_action(**press)
    done = settled(workspace, lambda: workspace.services.incidents.get(incident.id).playbook_state["done"].get("detection-1"))
    assert done["by"] == workspace.user("bob")
    workspace.sender.block_action(**press)  # a second click on the same step
    [refusal] = responses(workspace)
    assert "already done" in all_text(refusal) and f"<@{workspace.user('bob')}>" in all_text(refusal)
    entries = [e for e in workspace.services.incidents.timeline(incident.id) if e.kind == "playbook_step"]
    assert len(entries) == 1 and entries[0].actor == workspace.user("bob")
    settled(workspace, lambda: f"<@{workspace.user('bob')}>" in json.dumps(checklist_messages(workspace, incident)[0]["blocks"]))
    assert len(checklist_messages(workspace, incident)) == 1  # updated in place, not posted again
    run(workspace, "phase analysis", incident=incident)
    settled(workspace, lambda: "analysis" in workspace.services.incidents.get(incident.id).playbook_state["messages"])
    analysis = checklist_messages(workspace, incident)[-1]
    assert "— analysis" in all_text(analysis)
    assert "/evidence collect-disk &lt;instance_id&gt;" in all_text(analysis)  # no finding: placeholder shown


def test_unknown_playbook_lists_the_known_ones(workspace):
    incident = declare(workspace)
    run(workspace, "playbook nope", incident=incident)
    [answer] = responses(workspace)
    assert "There is no playbook" in all_text(answer) and "crypto-mining" in all_text(answer)


def test_notify_steps_are_sent_when_their_phase_starts(workspace):
    incident = declare(workspace, "declare sev1 Flood")
    run(workspace, "playbook denial-of-service", incident=incident)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).playbook_state.get("messages"))
    texts = [m.get("text") for m in workspace.fake.channels[incident.channel_id].messages]
    assert any("service owners and support are being informed" in (t or "") for t in texts)
    state = workspace.services.incidents.get(incident.id).playbook_state
    notify_key = next(k for k, v in state["done"].items() if v["by"] is None)
    assert notify_key.startswith("detection-")


def test_action_items_added_listed_and_completed_once(workspace):
    incident = declare(workspace)
    carol = workspace.user("carol")
    run(workspace, f"action Rotate the CI deploy key <@{carol}|carol> due:2099-01-31", incident=incident)
    [added] = responses(workspace)
    assert "Action item #1" in all_text(added) and f"<@{carol}>" in all_text(added) and "2099-01-31" in all_text(added)
    bad = run(workspace, "action Bad date due:tomorrow", incident=incident)  # a usage error, in the ack
    assert bad["response_type"] == "ephemeral" and "is not a date" in all_text(bad)
    run(workspace, "actions", incident=incident)
    listed = responses(workspace, 2)[-1]
    [button] = [b["accessory"] for b in listed["blocks"] if "accessory" in b]
    press = dict(user=workspace.user("bob"), channel=incident.channel_id, action_id="action_item_done",
                 value=button["value"])
    workspace.sender.block_action(**press)
    completed = responses(workspace, 3)[-1]
    assert completed["replace_original"] is True and "done by" in all_text(completed)
    workspace.sender.block_action(**press)
    assert "already completed" in all_text(responses(workspace, 4)[-1])
    kinds = [e.text for e in workspace.services.incidents.timeline(incident.id) if e.kind == "action_item"]
    assert kinds == [f"Action item #1: Rotate the CI deploy key (owner {{@{carol}}}, due 2099-01-31)",
                     "Action item #1 done: Rotate the CI deploy key"]


POSTMORTEM = {"summary": "Leaked key used from <!channel> Tor exit", "impact": "Read access to one bucket",
              "root_cause": "Key committed to a public repo", "why1": "No secret scanning", "went_well": "Fast triage",
              "could_be_better": "Slow key owner lookup", "lessons": "Prefer roles"}


def _submit_postmortem(ws, incident, answers):
    values = {key: {key: {"type": "plain_text_input", "value": value}} for key, value in answers.items()}
    return ws.sender.view_submission(user=ws.user("alice"), callback_id="incident_postmortem", values=values,
                                     private_metadata=json.dumps({"incident": incident.id}))


def test_postmortem_form_saves_answers_and_uploads_the_document(settings):
    clock = ManualClock()
    ws = local_workspace(settings, clock=clock, threads=2)
    try:
        incident = declare(ws)
        clock.advance(minutes=7)
        run(ws, "phase containment", incident=incident)
        settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "containment")
        clock.advance(minutes=30)
        run(ws, "phase eradication", incident=incident)
        settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "eradication")
        clock.advance(hours=2)
        run(ws, "resolve", incident=incident)
        settled(ws, lambda: ws.services.incidents.get(incident.id).phase == "post-incident")
        run(ws, "postmortem", incident=incident)
        [opened] = ws.fake.wait_for("views.open")
        assert opened.body["view"]["callback_id"] == "incident_postmortem"
        assert _submit_postmortem(ws, incident, POSTMORTEM).status == 200
        [upload] = ws.fake.wait_for("files.completeUploadExternal")
        [file_id] = [f["id"] for f in upload.body["files"]]
        document = ws.fake.files[file_id]["content"].decode()
        assert ws.fake.files[file_id]["channel"] == incident.channel_id
        assert document.startswith("# Incident #1: Suspicious console logins")
        assert "| Time to acknowledge | 0s |" in document  # the declarer took command as they declared
        assert "| Time to contain | 37m |" in document
        assert "| Time to recover | 2h37m |" in document
        assert "| Time to detect | n/a |" in document  # no finding linked
        assert "### Root cause\n\nKey committed to a public repo" in document
        assert "Leaked key used from &lt;\\!channel&gt; Tor exit" in document
        assert "| phase | " in document and "Resolved: eradication → post-incident" in document
        stored = ws.services.incidents.get(incident.id).postmortem
        assert stored["summary"] == POSTMORTEM["summary"] and stored["written_by"] == ws.user("alice")
    finally:
        ws.stop()


def test_postmortem_needs_a_summary(workspace):
    incident = declare(workspace)
    reply = _submit_postmortem(workspace, incident, {"summary": " ", "impact": "x"})
    assert reply.json() == {"response_action": "errors", "errors": {"summary": "Write at least a summary."}}
    assert workspace.services.incidents.get(incident.id).postmortem == {}


def test_export_md_is_the_postmortem_document(workspace):
    from tests.support.cli import run_bot

    incident = declare(workspace)
    _submit_postmortem(workspace, incident, POSTMORTEM)
    settled(workspace, lambda: workspace.services.incidents.get(incident.id).postmortem)
    result = run_bot("export", str(incident.id), env={"DATABASE_URL": workspace.settings.secrets.database_url})
    assert result.returncode == 0, result.stderr
    assert "## Review" in result.stdout and "Key committed to a public repo" in result.stdout
    assert "## Action items" in result.stdout and "## Timeline" in result.stdout


def test_declaring_from_a_finding_attaches_its_playbook_with_real_targets(workspace):
    from core.findings.intake import ingest_report
    from tests.conftest import REPO

    path = REPO / "tests" / "core" / "findings" / "fixtures" / "guardduty" / "gd_eventbridge_s3_exfiltration.json"
    ingest_report(workspace.services, str(path), path.read_text())
    triage = workspace.fake.wait_for("chat.postMessage", lambda c: "finding_declare" in json.dumps(c.body))[0].body
    [button] = [e for b in triage["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "finding_declare"]
    workspace.sender.block_action(user=workspace.user("alice"), channel=workspace.channel("security-triage"),
                                  action_id="finding_declare", value=button["value"])
    incident = settled(workspace, lambda: next((i for i in workspace.services.incidents.recent()
                                        if i.playbook_state.get("messages")), None))
    assert incident.playbook == "s3-public-exposure"
    run(workspace, "phase containment", incident=incident)
    settled(workspace, lambda: "containment" in workspace.services.incidents.get(incident.id).playbook_state["messages"])
    containment = checklist_messages(workspace, incident)[-1]
    assert "/contain block-public-s3 acme-finance-exports" in all_text(containment)


def test_postmortem_is_also_kept_in_s3_when_a_bucket_is_configured(settings, moto_inprocess):
    import boto3

    cfg = settings.config
    archived = dataclasses.replace(settings, config=cfg.model_copy(update={
        "postmortem": cfg.postmortem.model_copy(update={"s3_bucket": "ir-archive", "s3_prefix": "pm/"})}))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="ir-archive")
    ws = local_workspace(archived, threads=2)
    try:
        incident = declare(ws)
        _submit_postmortem(ws, incident, POSTMORTEM)
        entry = settled(ws, lambda: next((e for e in ws.services.incidents.timeline(incident.id)
                                         if e.data.get("archive")), None))
        assert entry.data["archive"] == f"s3://ir-archive/pm/incident-{incident.id}.md"
        body = s3.get_object(Bucket="ir-archive", Key=f"pm/incident-{incident.id}.md")["Body"].read().decode()
        assert "Key committed to a public repo" in body
        ws.fake.wait_for("files.completeUploadExternal")  # shared in the channel as well
    finally:
        ws.stop()


def test_action_items_are_edited_reassigned_rescheduled_and_deleted(workspace):
    """Issue 11 item 16, and the owner hears when someone else completes their item."""
    incident = declare(workspace)
    carol, bob, alice = workspace.user("carol"), workspace.user("bob"), workspace.user("alice")

    def say(text):
        seen = len(workspace.fake.calls_to("response_url"))
        run(workspace, text, incident=incident)
        workspace.settle()
        return "\n".join(all_text(c.body) for c in workspace.fake.calls_to("response_url")[seen:])

    say(f"action Rotate the CI key <@{carol}|carol>")
    say("action edit 1 Rotate the CI deploy key and the bot token")
    say(f"action assign 1 <@{bob}|bob>")
    assert "due 2099-02-28" in say("action due 1 2099-02-28")
    assert "has no action item #9" in say("action edit 9 nothing")
    [item] = workspace.services.repos.action_items.for_incident(incident.id)
    assert (item.text, item.owner, str(item.due)) == ("Rotate the CI deploy key and the bot token", bob, "2099-02-28")
    workspace.sender.block_action(user=alice, channel=incident.channel_id, action_id="action_item_done",
                                  value=str(item.id))
    workspace.settle()
    [told] = workspace.fake.messages(bob)
    assert "was completed by" in all_text(told) and f"<@{alice}>" in json.dumps(told)
    assert "already done" in say("action edit 1 too late")
    say("action Second thing")
    assert "deleted" in say("action delete 2")
    assert [i.id for i in workspace.services.repos.action_items.for_incident(incident.id)] == [1]
    texts = [e.text for e in workspace.services.incidents.timeline(incident.id) if e.kind == "action_item"]
    assert "Action item #2 deleted: Second thing" in texts
    assert any(t.startswith("Action item #1 changed: owner") for t in texts)


def test_questions_are_answered_ticks_undone_and_every_phase_listed(workspace):
    """Issue 11 item 15: an `ask` step takes its answer in a form (on the timeline), a tick
    can be taken back, and /incident playbook shows every phase."""
    incident = declare(workspace)
    run(workspace, "playbook compromised-ec2-instance", incident=incident)
    workspace.settle()
    [listed] = checklist_messages(workspace, incident)
    buttons = {e["value"]: e for b in listed["blocks"] for e in ([b["accessory"]] if "accessory" in b else [])}
    ask = buttons[f"{incident.id}:detection-2"]
    assert ask["action_id"] == "playbook_step_answer" and ask["text"]["text"] == "Answer"
    alice = workspace.user("alice")
    workspace.sender.block_action(user=alice, channel=incident.channel_id, action_id="playbook_step_answer",
                                  value=ask["value"])
    workspace.settle()
    form = workspace.fake.calls_to("views.open")[-1].body["view"]
    assert "Auto Scaling group" in all_text(form)
    empty = workspace.sender.view_submission(user=alice, callback_id="playbook_answer",
                                             private_metadata=form["private_metadata"],
                                             values={"answer": {"answer": {"type": "plain_text_input", "value": ""}}})
    assert empty.json()["response_action"] == "errors"
    workspace.sender.view_submission(user=alice, callback_id="playbook_answer", private_metadata=form["private_metadata"],
                                     values={"answer": {"answer": {"type": "plain_text_input",
                                                                   "value": "Yes: asg-web <!here>"}}})
    workspace.settle()
    state = workspace.services.incidents.get(incident.id).playbook_state["done"]["detection-2"]
    assert state["answer"] == "Yes: asg-web <!here>" and state["by"] == alice
    assert any(e.text.endswith("— Yes: asg-web <!here>") for e in workspace.services.incidents.timeline(incident.id))
    shown = checklist_messages(workspace, incident)[0]
    assert "asg-web" in all_text(shown) and "<!here>" not in json.dumps(shown)
    workspace.sender.block_action(user=alice, channel=incident.channel_id, action_id="playbook_step_undo",
                                  value=f"{incident.id}:detection-2")
    workspace.settle()
    assert "detection-2" not in workspace.services.incidents.get(incident.id).playbook_state["done"]
    assert any(e.text.startswith("Reopened:") for e in workspace.services.incidents.timeline(incident.id))
    seen = len(workspace.fake.calls_to("response_url"))
    run(workspace, "playbook", incident=incident)
    workspace.settle()
    [overview] = [c.body for c in workspace.fake.calls_to("response_url")[seen:]]
    text = all_text(overview)
    for phase in ("detection", "analysis", "containment", "eradication", "recovery", "post-incident"):
        assert f"*{phase}*" in text, phase


def test_the_export_reads_like_a_document(workspace, moto_inprocess):
    """Issue 11 item 18: names instead of ids, no escaped mentions, times with their zone,
    containment with what it did."""
    import boto3

    from core.containment import service
    from core.containment.parse import parse
    from core.incidents.postmortem import for_incident

    incident = declare(workspace)
    bob = workspace.user("bob")
    run(workspace, f"role scribe <@{bob}|bob>", incident=incident)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exposed-bucket")
    request = service.submit(workspace.services, actor=workspace.user("alice"), channel=incident.channel_id,
                             command=parse("block-public-s3 exposed-bucket"), dedup_key="k-export")
    service.decide(workspace.services, request.id, actor=bob, approve=True)
    workspace.settle()
    text = for_incident(workspace.services, workspace.services.incidents.get(incident.id))
    assert "@bob" in text and "@alice" in text and bob not in text
    assert "&lt;@" not in text and "{@" not in text
    assert " UTC |" in text and "Declared: " in text and " UTC by @alice" in text
    [line] = [ln for ln in text.splitlines() if ln.startswith(f"- C{request.id} ")]
    assert "succeeded, verified" in line and "exposed-bucket" in line and "decided by @bob" in line


def test_closing_warns_about_what_is_open_and_a_closed_incident_takes_no_notes(settings):
    """Issue 11 item 14; with incidents.archive_on_close the channel is archived."""
    import dataclasses

    from composition import local_workspace

    cfg = settings.config
    archiving = dataclasses.replace(settings, config=cfg.model_copy(update={
        "incidents": cfg.incidents.model_copy(update={"archive_on_close": True})}))
    ws = local_workspace(archiving, threads=2)
    try:
        incident = declare(ws)

        def say(text):
            seen = len(ws.fake.calls_to("response_url"))
            run(ws, text, incident=incident)
            ws.settle()
            return "\n".join(all_text(c.body) for c in ws.fake.calls_to("response_url")[seen:])

        say("playbook compromised-ec2-instance")
        say("action Rotate the keys")
        say("resolve")
        warned = say("close")
        assert "1 open action item(s): #1" in warned and "unfinished playbook step(s)" in warned
        assert "/incident close confirm" in warned
        assert ws.services.incidents.get(incident.id).phase == "post-incident"
        say("close confirm")
        assert ws.services.incidents.get(incident.id).phase == "closed"
        assert ws.fake.channels[incident.channel_id].archived
        assert "`/incident reopen` it first" in say("note one more thing")
    finally:
        ws.stop()
