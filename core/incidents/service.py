"""Declaring incidents and finding the one a command is about.

A declaration is published (IncidentDeclared) once stored and given its channel: playbooks
(auto-attach) and communications (stakeholder plan, pages, regulatory clocks) subscribe in
the composition root, so this module imports neither."""

from __future__ import annotations

from dataclasses import dataclass

from core.incidents import updates as incident_updates, naming
from core.access import may_see, require_responder
from core.errors import NotFound, UsageError
from core.events import IncidentDeclared, publish
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChannelNameTaken, ChatError
from core.services import Services

MAX_NAME_ATTEMPTS = 20
DECLARE_USAGE = "/incident declare [severity] <title>"


@dataclass(frozen=True)
class Declared:
    incident: Incident
    created: bool  # False when the same request (dedup_key) had already declared it


def declare(services: Services, *, title: str, declared_by: str, severity: str | None = None,
            category: str | None = None, origin_channel: str | None = None, description: str = "",
            private: bool | None = None, dedup_key: str | None = None, finding_types=(),
            automated: bool = False, drill: dict | None = None) -> Declared:
    """Declare an incident and give it a channel; idempotent per dedup_key (Slack trigger, finding id).
    With playbooks.auto_attach, the playbook matching `finding_types` or the category follows.
    `automated` declarations come from routing rules (declared_by names the rule's actor): they
    need no responder and give nobody the declarer's role."""
    cfg = services.config.incidents
    if not automated:
        require_responder(declared_by, services.config.access.responders, services.directory)
    title = " ".join(title.split())
    if not title:
        raise UsageError("An incident needs a title.", DECLARE_USAGE)
    if len(title) > cfg.max_title_length:
        raise UsageError(f"The title is {len(title)} characters; the limit is {cfg.max_title_length}.",
                         DECLARE_USAGE)
    severity = (severity or cfg.default_severity).lower()
    if severity not in cfg.severity_names:
        raise UsageError(f"Unknown severity {severity!r}; use one of {', '.join(cfg.severity_names)}.",
                         DECLARE_USAGE)
    category = (category or cfg.default_category).lower()
    if category not in cfg.categories:
        raise UsageError(f"Unknown category {category!r}; use one of {', '.join(cfg.categories)}.")
    incident, created = services.incidents.create(
        title=title, severity=severity, category=category, declared_by=declared_by,
        at=services.clock.now(), origin_channel=origin_channel, dedup_key=dedup_key,
        timeline_text=f"Incident declared: {title}", description=description.strip(),
        private=cfg.private_by_default if private is None else private,
        roles={cfg.declarer_role: declared_by} if cfg.declarer_role and not automated else {},
        **({"drill": drill} if drill else {}))
    # A run that stopped halfway (its job runs again after a crash) finishes what is missing.
    if created or not incident.channel_id or not incident.summary_ts:
        incident = provision(services, incident, None if automated else declared_by)
    if created:  # once per incident: a repeated request finds it declared and publishes nothing
        publish(services, IncidentDeclared(incident, declared_by, automated, tuple(finding_types)))
        incident = services.incidents.get(incident.id) or incident  # e.g. with the playbook attached
    return Declared(incident, created)


def provision(services: Services, incident: Incident, actor: str | None) -> Incident:
    """Channel, invitations, topic, pinned summary, announcement. Each step is skipped when
    already done, so a failed run can simply be run again."""
    chat, store, cfg = services.chat, services.incidents, services.config.incidents
    if not incident.channel_id:
        created = _create_channel(services, incident)
        if created is None:  # no chat platform here: the incident lives without a channel
            return incident
        store.set_fields(incident.id, channel_id=created[0], channel_name=created[1])
        incident = store.get(incident.id)
    people = [actor] if actor else []
    chat.invite(incident.channel_id, list(dict.fromkeys([*people, *incident.roles.values(), *cfg.invite])))
    chat.describe_channel(incident)
    if not incident.summary_ts:
        store.set_fields(incident.id, summary_ts=chat.post_summary(incident))
    if not incident.announce_ts:
        announced = chat.announce(incident)
        if announced:
            store.set_fields(incident.id, announce_channel=announced[0], announce_ts=announced[1])
    return store.get(incident.id)


def _create_channel(services: Services, incident: Incident) -> tuple[str, str] | None:
    pattern = services.config.incidents.channel_pattern
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = naming.channel_name(pattern, incident_id=incident.id, title=incident.title,
                                   severity=incident.severity, attempt=attempt)
        if incident.is_drill:  # a drill's channel says so in its name
            name = ("drill-" + name)[:80].rstrip("-")
        try:
            channel_id = services.chat.create_channel(name, incident.private)
        except ChannelNameTaken:
            continue
        return (channel_id, name) if channel_id else None
    raise ChatError(f"Could not find a free channel name for incident {incident.label} after "
                    f"{MAX_NAME_ATTEMPTS} tries; rename old channels or change incidents.channel_pattern.")


def find(services: Services, *, actor: str, channel: str | None, ref: str | None,
         how_to_name: str = "`/incident status 42`", unknown_members_hide: bool = False) -> Incident:
    """The incident a command is about: the one named by `ref` (42 or #42), else this channel's.
    Only responders may see or touch incidents, and a private one only those it is shared with."""
    require_responder(actor, services.config.access.responders, services.directory)
    if ref:
        digits = ref.lstrip("#")
        if not digits.isdigit():
            raise UsageError(f"“{ref[:40]}” is not an incident number; use e.g. 42 or #42.")
        incident = services.incidents.get(int(digits))
        if incident is None or not visible_to(services, incident, actor, unknown_members_hide=unknown_members_hide):
            raise NotFound(f"There is no incident #{digits}.")  # a private one is not even confirmed
        return incident
    incident = services.incidents.by_channel(channel) if channel else None
    if incident is None:
        raise UsageError("This is not an incident channel: run the command in the incident's channel, or name "
                         f"the incident, e.g. {how_to_name}.")
    return incident


def visible_to(services: Services, incident: Incident, actor: str, *, unknown_members_hide: bool = False) -> bool:
    """Whether `actor` may see this incident by number (list entries, status, timeline, the
    browser view, ...); `unknown_members_hide`: see core.access.may_see."""
    return may_see(incident, actor, viewers=services.config.incidents.private_viewers, directory=services.directory,
                   channel_members=services.chat.members, unknown_members_hide=unknown_members_hide)


def listed(services: Services, actor: str, *, limit: int = 50, unknown_members_hide: bool = False,
           **filters) -> list[Incident]:
    """The incidents `actor` may see, newest first (private ones only where shared with them)."""
    require_responder(actor, services.config.access.responders, services.directory)
    return [i for i in services.incidents.recent(limit, **filters)
            if visible_to(services, i, actor, unknown_members_hide=unknown_members_hide)]


def apply(services: Services, incident_id: int, decide, *, actor: str, echo: bool = True,
          automated: bool = False, after_close: bool = False) -> tuple[Incident, list[TimelineEntry]]:
    """A change under the row lock, shown in the channel; after a phase change (whose
    subscribers score a drill and post the phase's playbook checklist) the incident as stored now."""
    incident, entries = incident_updates.change(services, incident_id, decide, actor=actor, echo=echo,
                                                automated=automated, after_close=after_close)
    if any(e.kind == "phase" for e in entries):
        incident = services.incidents.get(incident.id) or incident
    return incident, entries


def unfinished(services: Services, incident: Incident) -> list[str]:
    """What is still open when someone closes the incident: action items, checklist steps."""
    items = [i for i in services.repos.action_items.for_incident(incident.id) if i.done_at is None]
    left = [f"{len(items)} open action item(s): " + ", ".join(f"#{i.id}" for i in items[:10])] if items else []
    playbook = services.playbooks.get(incident.playbook or "")
    if playbook is not None:
        done = incident.playbook_state.get("done", {})
        steps = [key for phase in playbook.phases for key, _ in playbook.keyed(phase) if key not in done]
        if steps:
            left.append(f"{len(steps)} unfinished playbook step(s) of {playbook.name}")
    return left


def archive_if_configured(services: Services, incident: Incident) -> None:
    """incidents.archive_on_close: the closed incident's channel is archived (kept readable)."""
    if services.config.incidents.archive_on_close and incident.channel_id:
        services.chat.archive(incident.channel_id)
