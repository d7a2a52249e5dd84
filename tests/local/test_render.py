"""Tests for local.render: what the operator sees in the local console."""

from local.render import Control, Rendered, mrkdwn_to_text, render_message, render_view

USERS = {"U01ALICE": "alice", "U02BOB": "bob"}
CHANNELS = {"C0INC042": "inc-042-guardduty", "C0GENERAL": "general"}


def user_name(uid):
    return USERS.get(uid, uid)


def channel_label(cid):
    return CHANNELS.get(cid, cid)


def pt(text):
    return {"type": "plain_text", "text": text, "emoji": True}


def md(text):
    return {"type": "mrkdwn", "text": text}


def button(text, action_id, value=None, style=None, confirm=False):
    el = {"type": "button", "text": pt(text), "action_id": action_id}
    if value is not None:
        el["value"] = value
    if style:
        el["style"] = style
    if confirm:
        el["confirm"] = {"title": pt("Are you sure?"), "text": md("This stops the instance."),
                         "confirm": pt("Do it"), "deny": pt("Cancel")}
    return el


def option(label, value):
    return {"text": pt(label), "value": value}


def render(message, **kw):
    kw.setdefault("user_name", user_name)
    kw.setdefault("channel_label", channel_label)
    return render_message(message, **kw)


INCIDENT_CARD = {
    "channel": "C0INC042",
    "text": "Incident INC-042 opened",
    "blocks": [
        {"type": "header", "text": pt(":rotating_light: INC-042 UnauthorizedAccess:EC2/SSHBruteForce")},
        {"type": "section", "block_id": "summary",
         "text": md("*i-0abc123* is being brute-forced. Owner: <@U01ALICE>"),
         "accessory": button("Acknowledge", "incident_ack", value="INC-042")},
        {"type": "section", "block_id": "facts", "fields": [
            md("*Severity:*\nHigh"), md("*Account:*\n123456789012"),
            md("*Region:*\neu-west-1"), md("*Resource:*\ni-0abc123")]},
        {"type": "divider"},
        {"type": "actions", "block_id": "containment", "elements": [
            button("Isolate instance", "isolate", value="i-0abc123", style="primary"),
            button("Stop instance", "stop", value="i-0abc123", style="danger", confirm=True),
        ]},
        {"type": "context", "elements": [
            {"type": "image", "image_url": "https://example.com/gd.png", "alt_text": "GuardDuty"},
            md("Detected 2024-05-01 10:02 UTC"), md("Finding `7ec5a1`")]},
    ],
}


def test_controls_numbered_in_display_order_across_blocks_from_start_number():
    r = render(INCIDENT_CARD, start_number=5)
    assert isinstance(r, Rendered)
    assert "[5 Acknowledge]" in r.text
    assert "[6 Isolate instance*]" in r.text
    assert "[7 Stop instance!]" in r.text
    assert r.text.index("[5 ") < r.text.index("[6 ") < r.text.index("[7 ")
    assert [c.number for c in r.controls] == [5, 6, 7]
    ack, isolate, stop = r.controls
    assert ack == Control(number=5, kind="button", action_id="incident_ack", block_id="summary",
                          label="Acknowledge", value="INC-042")
    assert (isolate.style, isolate.confirm) == ("primary", False)
    assert (stop.style, stop.confirm, stop.block_id, stop.value) == ("danger", True, "containment", "i-0abc123")


def test_header_line_block_layout_and_fallback_text_hidden():
    lines = render(INCIDENT_CARD).text.split("\n")
    assert lines[0] == "#inc-042-guardduty · Firebreak"
    assert lines[1] == "  :rotating_light: INC-042 UnauthorizedAccess:EC2/SSHBruteForce"
    assert set(lines[2].strip()) == {"═"}  # header underlined, not upper-cased (IDs stay exact)
    assert all(line.startswith("  ") for line in lines[1:] if line)
    assert "  " + "─" * 40 in lines
    assert "  [image: GuardDuty] · Detected 2024-05-01 10:02 UTC · Finding `7ec5a1`" in lines
    # blocks present: the top-level text is only the notification fallback
    assert "Incident INC-042 opened" not in render(INCIDENT_CARD).text
    # accessory is rendered inline after the section text, mention resolved
    assert "  *i-0abc123* is being brute-forced. Owner: @alice [1 Acknowledge]" in lines


def test_text_only_message_shows_text_and_explicit_channel_and_author():
    r = render({"text": "Playbook *contain-ec2* finished :white_check_mark:"},
               channel_name="inc-042-foo", author="Firebreak")
    assert r.text == "#inc-042-foo · Firebreak\n  Playbook *contain-ec2* finished :white_check_mark:"
    assert r.controls == []


def test_section_fields_render_as_two_columns():
    lines = render(INCIDENT_CARD).text.split("\n")
    row1 = next(line for line in lines if "*Severity:*" in line)
    row2 = next(line for line in lines if "*Region:*" in line)
    assert "*Severity:* High" in row1 and "*Account:* 123456789012" in row1
    assert "*Region:* eu-west-1" in row2 and "*Resource:* i-0abc123" in row2
    assert row1.index("*Account:*") == row2.index("*Resource:*")  # aligned column


def test_escaped_attacker_text_stays_literal_and_is_unescaped_once():
    # A finding title set by an attacker, escaped by the bot before posting.
    hostile = ("Tag Name=&lt;!channel&gt; &lt;@U02BOB&gt; &lt;http://evil.example|Reset MFA&gt; "
               "&amp;lt;script&amp;gt; a &amp; b")
    r = render({"blocks": [{"type": "section", "text": md(hostile)}]})
    body = r.text.split("\n", 1)[1]
    assert "<!channel>" in body
    assert "<@U02BOB>" in body and "@bob" not in body
    assert "<http://evil.example|Reset MFA>" in body
    assert "Reset MFA (http://evil.example)" not in body
    assert "@channel" not in body
    assert "&lt;script&gt;" in body  # unescaped exactly once, not twice
    assert "a & b" in body
    assert mrkdwn_to_text("&lt;!here&gt;") == "<!here>"


def test_terminal_control_sequences_in_text_are_neutralised():
    r = render({"text": "bucket \x1b[2Jpwned\rfake \u202eexe.txt"})
    assert "\x1b" not in r.text and "\r" not in r.text and "\u202e" not in r.text
    assert "\\x1b[2Jpwned" in r.text and "\\u202e" in r.text


def test_mentions_converted():
    s = ("<@U01ALICE> paged <@U02BOB|bob> and <@U09NOBODY|carol>, moved to <#C0GENERAL|general>, "
         "see <#C0INC042>; <!here> <!channel> <!everyone> <!subteam^S0SEC|@secops> "
         "<!subteam^S0IR|ir-team> <!date^1714557600^{date_short}|May 1, 2024>")
    out = mrkdwn_to_text(s, user_name, channel_label)
    assert out == ("@alice paged @bob and @carol, moved to #general, see #inc-042-guardduty; "
                   "@here @channel @everyone @secops @ir-team May 1, 2024")


def test_links_with_and_without_labels():
    s = ("Open <https://console.aws.amazon.com/guardduty/home?region=eu-west-1&amp;x=1|GuardDuty console> "
         "or <https://runbooks.example.com/ec2> or <mailto:soc@example.com|soc@example.com>")
    out = mrkdwn_to_text(s, user_name, channel_label)
    assert "GuardDuty console (https://console.aws.amazon.com/guardduty/home?region=eu-west-1&x=1)" in out
    assert " or https://runbooks.example.com/ec2 or " in out
    assert "soc@example.com (mailto:soc@example.com)" in out
    assert "<" not in out and ">" not in out


def test_markers_kept_and_optional_ansi_bold():
    s = "*High* severity, _maybe_ `i-0abc` 2*3*4"
    assert mrkdwn_to_text(s) == s
    colored = mrkdwn_to_text(s, color=True)
    assert "\x1b[1mHigh\x1b[0m" in colored and "_maybe_ `i-0abc` 2*3*4" in colored


def test_selects_with_options_groups_and_initial_values():
    msg = {"blocks": [{"type": "actions", "block_id": "triage", "elements": [
        {"type": "static_select", "action_id": "set_severity", "placeholder": pt("Choose severity"),
         "options": [option("sev1", "1"), option("sev2", "2"), option("sev3", "3")]},
        {"type": "static_select", "action_id": "set_status", "placeholder": pt("Status"),
         "option_groups": [{"label": pt("Open"), "options": [option("Investigating", "inv")]},
                           {"label": pt("Closed"), "options": [option("Resolved", "res")]}],
         "initial_option": option("Investigating", "inv")},
        {"type": "users_select", "action_id": "assign", "placeholder": pt("Assign to"),
         "initial_user": "U02BOB"},
        {"type": "conversations_select", "action_id": "war_room", "placeholder": pt("War room")},
    ]}]}
    r = render(msg)
    assert "[1 Choose severity ▾: sev1|sev2|sev3]" in r.text
    assert "[2 Status ▾ = Investigating: Investigating|Resolved]" in r.text
    assert "[3 Assign to ▾ = @bob]" in r.text
    assert "[4 War room ▾]" in r.text
    sev, status, assign, room = r.controls
    assert sev.kind == "static_select" and sev.options == (("sev1", "1"), ("sev2", "2"), ("sev3", "3"))
    assert status.value == "inv" and status.options[1] == ("Resolved", "res")
    assert (assign.kind, assign.value, assign.label) == ("users_select", "U02BOB", "Assign to")
    assert room.kind == "conversations_select" and room.block_id == "triage"


def test_overflow_menu():
    msg = {"blocks": [{"type": "section", "block_id": "alert",
                       "text": md("Alarm *RootLogin* fired"),
                       "accessory": {"type": "overflow", "action_id": "snooze",
                                     "options": [option("Snooze 1h", "1h"), option("Snooze 1d", "1d")]}}]}
    r = render(msg, start_number=4)
    assert "Alarm *RootLogin* fired [4 ⋯: Snooze 1h|Snooze 1d]" in r.text
    (c,) = r.controls
    assert (c.kind, c.action_id, c.options) == ("overflow", "snooze", (("Snooze 1h", "1h"), ("Snooze 1d", "1d")))


OPEN_INCIDENT_MODAL = {
    "type": "modal", "callback_id": "open_incident",
    "title": pt("Open incident"), "submit": pt("Open"), "close": pt("Cancel"),
    "blocks": [
        {"type": "section", "text": md("Reporting for <#C0GENERAL>")},
        {"type": "input", "block_id": "title", "label": pt("Title"),
         "hint": pt("One line; shown in the channel name"),
         "element": {"type": "plain_text_input", "action_id": "title_input",
                     "placeholder": pt("e.g. Leaked access key")}},
        {"type": "input", "block_id": "severity", "label": pt("Severity"),
         "element": {"type": "static_select", "action_id": "sev",
                     "options": [option("sev1", "1"), option("sev2", "2")],
                     "initial_option": option("sev2", "2")}},
        {"type": "input", "block_id": "notes", "label": pt("Notes"), "optional": True,
         "element": {"type": "plain_text_input", "action_id": "notes_input", "multiline": True,
                     "initial_value": "Found via CloudTrail"}},
        {"type": "input", "block_id": "when", "label": pt("Detected on"), "optional": True,
         "element": {"type": "datepicker", "action_id": "date", "initial_date": "2024-05-01"}},
    ],
}


def test_modal_with_inputs():
    r = render_view(OPEN_INCIDENT_MODAL, user_name=user_name, channel_label=channel_label, start_number=3)
    lines = r.text.split("\n")
    assert lines[0] == "[modal] Open incident"
    assert "  Reporting for #general" in lines
    assert "  Title: [3 ✎ plain_text_input (e.g. Leaked access key)]" in lines
    assert "    ↳ One line; shown in the channel name" in lines
    assert "  Severity: [4 static_select ▾ = sev2: sev1|sev2]" in lines
    assert '  Notes (optional): [5 ✎ plain_text_input = "Found via CloudTrail"]' in lines
    assert "  Detected on (optional): [6 datepicker = 2024-05-01]" in lines
    assert lines[-1] == "  Submit: Open · Close: Cancel"
    assert [(c.number, c.kind, c.block_id, c.action_id, c.label) for c in r.controls] == [
        (3, "input:plain_text_input", "title", "title_input", "Title"),
        (4, "input:static_select", "severity", "sev", "Severity"),
        (5, "input:plain_text_input", "notes", "notes_input", "Notes"),
        (6, "input:datepicker", "when", "date", "Detected on"),
    ]
    assert r.controls[1].value == "2" and r.controls[2].value == "Found via CloudTrail"


def test_attachments_with_bar_fields_and_blocks_numbered_after_message_blocks():
    msg = {
        "blocks": [{"type": "actions", "elements": [button("Acknowledge", "ack")]}],
        "attachments": [{
            "color": "#d00000", "pretext": "Related finding",
            "title": "S3 bucket made public", "title_link": "https://console.aws.amazon.com/s3/",
            "text": "Bucket `prod-logs` by <@U01ALICE>",
            "fields": [{"title": "Account", "value": "123456789012", "short": True}],
            "blocks": [{"type": "actions", "block_id": "att", "elements": [button("Block public access", "bpa")]}],
            "footer": "AWS Security Hub",
        }],
    }
    lines = render(msg).text.split("\n")
    assert "  Related finding" in lines  # pretext sits above the bar
    assert "  │ S3 bucket made public (https://console.aws.amazon.com/s3/)" in lines
    assert "  │ Bucket `prod-logs` by @alice" in lines
    assert "  │ Account: 123456789012" in lines
    assert "  │ [2 Block public access]" in lines
    assert "  │ AWS Security Hub" in lines
    assert lines.index("  [1 Acknowledge]") < lines.index("  │ [2 Block public access]")


def test_attachment_with_only_fallback_and_text_only_attachments():
    r = render({"text": "Scan done", "attachments": [{"color": "good", "fallback": "3 findings"}]})
    assert r.text.split("\n")[1:] == ["  Scan done", "  │ 3 findings"]


def test_rich_text_and_image_blocks():
    msg = {"blocks": [
        {"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": "Heads up ", "style": {"bold": True}},
                {"type": "user", "user_id": "U01ALICE"}, {"type": "text", "text": " in "},
                {"type": "channel", "channel_id": "C0INC042"}, {"type": "text", "text": " "},
                {"type": "emoji", "name": "fire"},
                {"type": "link", "url": "https://status.aws.amazon.com", "text": "AWS status"}]},
            {"type": "rich_text_list", "style": "ordered", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "Revoke key"}]},
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "Rotate secrets"}]}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "aws iam list-access-keys"}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "<!channel> is literal here"}]},
        ]},
        {"type": "image", "image_url": "https://example.com/graph.png", "alt_text": "VPC flow graph",
         "title": pt("Traffic spike")},
    ]}
    lines = render(msg).text.split("\n")
    assert "  *Heads up* @alice in #inc-042-guardduty :fire:AWS status (https://status.aws.amazon.com)" in lines
    assert lines[lines.index("  1. Revoke key") + 1] == "  2. Rotate secrets"
    assert "  aws iam list-access-keys" in lines and "  ```" in lines
    assert "  > <!channel> is literal here" in lines
    assert "  [image: VPC flow graph] Traffic spike" in lines


def test_unknown_block_type_is_shown_not_raised():
    msg = {"blocks": [{"type": "carousel", "elements": []},
                      {"type": "actions", "elements": [button("Approve", "approve")]}]}
    r = render(msg)
    assert "  [unsupported block: carousel]" in r.text.split("\n")
    assert "[1 Approve]" in r.text and len(r.controls) == 1


def test_malformed_blocks_do_not_raise_and_numbering_stays_dense():
    msg = {"blocks": [
        {"type": "section"},                                    # no text at all
        {"type": "header", "text": None},
        {"type": "section", "fields": [md("*Only:*\nleft")], "accessory": {"type": "button"}},
        {"type": "actions"},                                    # no elements
        {"type": "actions", "elements": [None, {"type": "button", "text": "raw string"}]},
        {"type": "context", "elements": [None, 42, {"type": "image"}]},
        {"type": "input", "label": pt("No element")},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [None]}]},
        {"no_type": True},
        "not a block",
        {"type": "actions", "elements": [button("Still works", "ok")]},
    ]}
    r = render(msg)
    assert "*Only:* left [1 button]" in r.text           # button without text still pressable
    assert "[2 raw string]" in r.text
    assert "No element: [no input element]" in r.text
    assert "[malformed block: rich_text]" in r.text
    assert "[unsupported block: str]" in r.text
    assert "[3 Still works]" in r.text
    assert [c.number for c in r.controls] == [1, 2, 3]
    assert render_message({"blocks": "nope", "attachments": [None]}).text.endswith("(empty message)")


def test_ephemeral_header():
    r = render({"channel": "C0INC042", "text": "Only responders can isolate instances."}, ephemeral=True)
    assert r.text.split("\n")[0] == "#inc-042-guardduty · Firebreak (only visible to you)"
    assert "only visible to you" not in render({"channel": "C0INC042", "text": "x"}).text


def test_view_renders_modal_without_buttons_and_home_tab():
    r = render_view({"type": "home", "blocks": [{"type": "section", "text": md("No open incidents")}]})
    assert r.text == "[home]\n  No open incidents"
    assert render_view({}).text == "[modal]\n  (empty view)"


def test_shared_files_are_numbered_and_their_content_shown_safely():
    from local.render import render_file

    r = render_message({"text": "Postmortem", "files": [{"id": "F1", "name": "pm.md", "title": "Postmortem #1"}]},
                       start_number=4)
    assert r.text.splitlines()[-1] == "  [4 file: pm.md] Postmortem #1  (:open 4)"
    [control] = r.controls
    assert (control.number, control.kind, control.value) == (4, "file", "F1")
    shown = render_file("pm.md", "# Title\n\x1b[2Jcleared?\n".encode(), title="Postmortem #1")
    assert shown.splitlines()[:3] == ["── pm.md · Postmortem #1 ──", "# Title", "\\x1b[2Jcleared?"]
    assert "(the upload never completed" in render_file("x.md", None)
