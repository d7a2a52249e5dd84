"""The post-incident review: answers from the responders, plus what the timeline already
knows (roles, findings, phases, metrics, action items), as one Markdown document."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from core.incidents import metrics
from core.errors import UsageError
from core.incidents.service import apply
from core.mentions import as_text
from core.incidents.model import ActionItem, Incident, Mutation, TimelineEntry
from core.services import Services

QUESTIONS = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("why1", "Why? (1)"), ("why2", "Why? (2)"), ("why3", "Why? (3)"), ("why4", "Why? (4)"), ("why5", "Why? (5)"),
    ("went_well", "What went well"),
    ("could_be_better", "What could be better"),
    ("lessons", "Lessons learned"),
)
ANSWER_LIMIT = 3000


def save_answers(services: Services, incident: Incident, answers: dict, actor: str) -> Incident:
    cleaned = {key: (answers.get(key) or "").strip() for key, _ in QUESTIONS}
    too_long = [label for key, label in QUESTIONS if len(cleaned[key]) > ANSWER_LIMIT]
    if too_long:
        raise UsageError(f"{too_long[0]} is longer than {ANSWER_LIMIT} characters.")
    if not cleaned["summary"]:
        raise UsageError("The postmortem needs at least a summary.")

    def decide(current: Incident, at) -> Mutation:
        first = not current.postmortem
        record = {**cleaned, "written_by": actor, "written_at": at.isoformat()}
        return Mutation(changes={"postmortem": record}).note(
            "postmortem", actor, "Postmortem written" if first else "Postmortem revised")

    incident, _ = apply(services, incident.id, decide, actor=actor, after_close=True)  # a review of a closed one
    return incident


def response_times(incident: Incident, entries: list[TimelineEntry], first_seen: datetime | None) -> dict[str, str]:
    """The response metrics, as core.incidents.metrics defines them (the same as `/incident stats`);
    a cancelled incident or a false positive says it is not counted."""
    times = {f"Time to {name}": metrics.human(span) if span is not None else "n/a"
             for name, span in metrics.spans(incident, entries, first_seen).items()}
    if not incident.measured:
        times["Counted in response metrics"] = f"no ({(incident.resolution or '').replace('-', ' ')})"
    return times


MARKDOWN_SPECIAL = "\\`*_{}[]()#+!|~"


def md(text: str, names: Callable[[str], str | None] | None = None) -> str:
    """People's and findings' text as inert Markdown: no links, images, headings, emphasis,
    tables or HTML, and no autolinked URLs; one line (newlines folded); mentions as @name."""
    shown = "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in " ".join(as_text(text, names).split()))
    shown = shown.replace("<", "&lt;").replace(">", "&gt;")
    return shown.replace("://", "\\://").replace("www.", "www\\.")


def when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "n/a"


def document(incident: Incident, entries: list[TimelineEntry], *, findings=(), items: list[ActionItem] = (),
             first_seen: datetime | None = None, requests=(), evidence=(),
             names: Callable[[str], str | None] | None = None) -> str:
    """The postmortem / export document. `names` turns user ids into the names people know;
    `requests` are the incident's containment requests, listed with what they did; `evidence`
    is the chain-of-custody manifest (core.evidence.model.EvidenceItem)."""
    def who(user: str | None) -> str:
        return md(as_text("{@" + user + "}", names)) if user and user.isalnum() else md(user or "")

    answers = incident.postmortem or {}
    lines = [f"# Incident #{incident.id}: {md(incident.title)}", "",
             f"- Severity: {incident.severity}", f"- Category: {incident.category}", f"- Phase: {incident.phase}",
             f"- Declared: {when(incident.declared_at)} by {who(incident.declared_by)}"]
    if incident.channel_name:
        lines.append(f"- Channel: #{incident.channel_name}")
    if incident.playbook:
        lines.append(f"- Playbook: {incident.playbook} "
                     f"({len(incident.playbook_state.get('done', {}))}/{incident.playbook_state.get('total', 0)} steps)")
    if incident.description:
        lines += ["", md(incident.description)]
    lines += ["", "## Roles", ""] + ([f"- {role}: {who(user)}" for role, user in sorted(incident.roles.items())]
                                    or ["- none assigned"])
    lines += ["", "## Response times", "", "| Metric | Value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in response_times(incident, entries, first_seen).items()]
    lines += ["", "## Review", ""]
    if not answers:
        lines.append("_Not written yet: run `/incident postmortem` in the incident channel._")
    for key, label in QUESTIONS:
        if answers.get(key):
            lines += [f"### {label}", "", md(answers[key], names), ""]
    if incident.drill.get("scorecard"):  # a drill's lessons start from its scorecard
        lines += ["### Lessons learned: drill scorecard", ""]
        lines += [f"- {md(line, names)}" for line in incident.drill["scorecard"]["lines"]] + [""]
    if answers.get("written_by"):
        lines.append(f"_Written by {who(answers['written_by'])} at {md(answers.get('written_at', ''))}_")
    lines += ["", "## Findings", ""]
    lines += [f"- {md(f.type)}: {md(f.title)} ({f.severity}, first seen {f.first_seen or 'n/a'})" for f in findings] \
        or ["- none linked"]
    lines += ["", "## Containment actions", ""]
    lines += [_request_line(r, who) for r in requests] or \
        [f"- {when(e.at)} {md(e.text, names)}" for e in entries if e.kind.startswith("contain")] or ["- none recorded"]
    lines += ["", "## Evidence (chain of custody)", ""]
    lines += [_evidence_line(item, who) for item in evidence] or ["- nothing collected"]
    if evidence:
        lines += ["", f"_`python bot.py evidence verify {incident.id}` re-hashes each object against this manifest._"]
    lines += ["", "## Action items", ""]
    lines += [f"- [{'x' if i.done_at else ' '}] #{i.id} {md(i.text)}" + (f" (owner {who(i.owner)})" if i.owner else "")
              + (f", due {i.due:%Y-%m-%d}" if i.due else "") for i in items] or ["- none"]
    lines += ["", "## Timeline", "", "| Time | Kind | Who | What |", "|---|---|---|---|"]
    lines += [f"| {when(e.at)} | {e.kind} | {who(e.actor)} | {md(e.text, names)} |" for e in entries]
    return "\n".join(lines) + "\n"


# What a request remembered to undo it, said in words (aws/actions' memory keys).
MEMORY_WORDS = {"enis": "security groups before, per network interface", "isolation": "isolation group per VPC",
                "asg": "detached from Auto Scaling group", "target_groups": "deregistered from target groups",
                "protected": "termination protection was on", "snapshots": "snapshots", "was": "before",
                "attached": "attached", "entries": "entries added", "policy": "policy",
                "max_session_seconds": "longest session (seconds)"}
STATE_WORDS = {"planned": "planned only (dry run), nothing changed", "already-done": "already in place, nothing changed",
               "failed-unknown": "interrupted (outcome unknown)"}


def _in_words(value) -> str:
    """A remembered value as a person writes it: lists comma-separated, mappings as
    `key value`, no Python reprs."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {_in_words(v)}" for k, v in value.items() if v not in (None, "", [], {})) or "none"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_in_words(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _request_line(request, who) -> str:
    """One containment request with its result: what it changed (snapshot ids, ACL entries, ...)."""
    outcome = request.outcome or {}
    result = STATE_WORDS.get(request.state, request.state) + (", verified" if outcome.get("verified") else "")
    decided = f", decided by {who(request.decided_by)}" if request.decided_by else ""
    line = (f"- {request.label} {md(request.title)} in {md(request.account)}/{md(request.region)}, requested by "
            f"{who(request.requested_by)}{decided}: {result}")
    if outcome.get("summary"):
        line += f" — {md(outcome['summary'])}"
    # What an evidence action collected is listed item by item in the evidence section.
    details = "; ".join(f"{MEMORY_WORDS.get(k, k.replace('_', ' '))}: {_in_words(v)}"
                        for k, v in (request.memory or {}).items() if v and k != "evidence")
    if details:
        line += f" ({md(details[:600])})"
    if request.error:
        line += f" — {md(request.error)}"
    return line


def _evidence_line(item, who) -> str:
    """One manifest row: what, where (with the version id), its SHA-256, who asked and who approved."""
    digest = f"SHA-256 {item.sha256}" if item.sha256 else "not re-hashable"
    size = "" if item.size is None else f", {item.size} {'GiB volume' if item.kind == 'snapshot' else 'bytes'}"
    return (f"- {item.request_label} {md(item.action)} {item.kind}: {md(item.location)} in "
            f"{md(item.account)}/{md(item.region)}{size}; {digest}; from {md(item.source)}; requested by "
            f"{who(item.requested_by)}, approved by {who(item.approved_by)}, collected {when(item.collected_at)}. "
            f"{md(item.note)}")


def for_incident(services: Services, incident: Incident) -> str:
    """The document with everything looked up: timeline, linked findings, action items."""
    findings = services.repos.findings.linked(incident.id)
    seen = [datetime.fromisoformat(f.first_seen.replace("Z", "+00:00")) for f in findings if f.first_seen]
    entries = metrics.with_verification(services.incidents.timeline(incident.id, limit=None),
                                        services.repos.containment.get)
    return document(incident, entries, findings=findings,
                    items=services.repos.action_items.for_incident(incident.id), first_seen=min(seen) if seen else None,
                    requests=services.repos.containment.for_incident(incident.id),
                    evidence=services.repos.evidence.for_incident(incident.id),
                    names=services.directory.name)


def publish(services: Services, incident: Incident) -> str:
    """Share the document in the incident channel and, when configured, keep it in S3."""
    document = for_incident(services, incident)
    if incident.channel_id:
        services.chat.upload(incident.channel_id, f"postmortem-incident-{incident.id}.md", document,
                             f"Postmortem of incident #{incident.id}")
    cfg = services.config.postmortem
    if cfg.s3_bucket:  # the root connects the archive exactly then
        where = services.archive.put(cfg.s3_bucket, f"{cfg.s3_prefix}incident-{incident.id}.md", document)
        services.incidents.add_timeline(incident.id, kind="postmortem", text=f"Postmortem archived to {where}",
                                        at=services.clock.now(), data={"archive": where})
    return document
