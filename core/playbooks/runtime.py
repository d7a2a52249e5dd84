"""Running a playbook on an incident: attach it, post each phase's checklist, tick steps.
It follows the incident through events (subscribed in the composition root): a new incident
gets its matching playbook, a phase change its checklist, a linked finding fresh targets.

Step state lives on the incident row and changes under its row lock, so two people
ticking the same step at once get one "done" and one plain refusal."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable

from core.incidents import closed, updates as incident_updates
from core.access import require_responder
from core.errors import InvalidTransition, NotFound, UsageError
from core.events import ContainmentFinished, FindingLinked, IncidentChanged, IncidentDeclared
from core.incidents.model import Incident, Mutation
from core.incidents.ports import ChatError
from core.response.catalog import SPECS
from core.investigation.model import Question
from core.investigation.model import parse as parse_question
from core.playbooks.model import ContainStep, Playbook, Step
from core.playbooks.targets import targets_for
from core.services import Services
from core.mentions import person


@dataclass(frozen=True)
class StepView:
    key: str
    kind: str  # check | ask | contain (any response proposal) | investigate | notify
    text: str
    done_by: str | None
    command: str | None = None  # the /contain, /evidence, /remediate or /investigate command a step proposes
    answer: str | None = None  # what was answered to an `ask` step


@dataclass(frozen=True)
class Checklist:
    playbook: str
    phase: str
    steps: tuple[StepView, ...]
    done: int
    total: int


def choose(library: dict[str, Playbook], incident: Incident, finding_types=()) -> Playbook | None:
    """A finding-type match wins over a category match; ties go to the name's order."""
    ordered = [library[name] for name in sorted(library)]
    for playbook in ordered:
        if any(fnmatch.fnmatchcase(t, glob) for t in finding_types for glob in playbook.match.finding_types):
            return playbook
    for playbook in ordered:
        severities = playbook.match.severities
        if incident.category in playbook.match.categories and (not severities or incident.severity in severities):
            return playbook
    return None


def _playbook(services: Services, incident: Incident) -> Playbook:
    playbook = services.playbooks.get(incident.playbook or "")
    if playbook is None:
        raise NotFound(f"Incident {incident.label} has no playbook; `/incident playbook <name>` attaches one "
                       f"({', '.join(sorted(services.playbooks)) or 'none configured'}).")
    return playbook


def _step_text(step: Step, targets: dict[str, str]) -> tuple[str, str | None]:
    proposal = step.proposal
    if proposal is not None:
        family = SPECS[proposal.action].family
        target = re.sub(r"{(\w+)}", lambda m: targets.get(m.group(1)) or f"<{m.group(1)}>", proposal.target)
        options = "".join(f" --{key} {value}" for key, value in proposal.options.items())
        command = f"/{family} {proposal.action} {target}{options}"
        return f"{family.capitalize()}: {proposal.action} {target}", command
    if step.investigate is not None:
        ask = step.investigate
        value = re.sub(r"{(\w+)}", lambda m: targets.get(m.group(1)) or f"<{m.group(1)}>", ask.value)
        source = f" --source {ask.source}" if ask.source else ""
        return (f"Investigate: {ask.subject} {value}, last {ask.hours} h",
                f"/investigate {ask.subject} {value} --hours {ask.hours}{source}")
    if step.notify is not None:
        return f"Notify: {step.notify.text}", None
    return step.check or step.ask or "", None


def checklist(services: Services, incident: Incident, phase: str, targets: dict[str, str] | None = None) -> Checklist:
    playbook = _playbook(services, incident)
    done = incident.playbook_state.get("done", {})
    views = []
    for key, step in playbook.keyed(phase):
        text, command = _step_text(step, targets or {})
        views.append(StepView(key, step.kind, text, (done.get(key) or {}).get("by"), command,
                              (done.get(key) or {}).get("answer")))
    return Checklist(playbook.name, phase, tuple(views), len(done), playbook.total_steps)


def contain_step(services: Services, incident: Incident, key: str) -> ContainStep:
    """A contain step with its target filled from the incident's findings (still unchecked:
    containment checks it against the action's pattern like any typed target)."""
    step, targets = _filled(services, incident, key, lambda s: s.proposal and s.proposal.target, "response")
    target = re.sub(r"{(\w+)}", lambda m: targets[m.group(1)], step.proposal.target)
    return step.proposal.model_copy(update={"target": target})


def investigate_step(services: Services, incident: Incident, key: str) -> Question:
    """An investigate step as a Question, its value filled from the incident's findings and
    then checked exactly like typed `/investigate` text."""
    step, targets = _filled(services, incident, key, lambda s: s.investigate and s.investigate.value,
                            "investigation")
    command = _step_text(step, targets)[1].removeprefix("/investigate ")
    return parse_question(f"{command} --incident {incident.id}")


def _filled(services: Services, incident: Incident, key: str, template: Callable[[Step], str | None],
            kind: str) -> tuple[Step, dict[str, str]]:
    """The step `key` (its `template` names what the findings fill in) and the incident's
    targets, once every placeholder it names is known; else a UsageError with the command."""
    playbook = _playbook(services, incident)
    step = next((s for p in playbook.phases for k, s in playbook.keyed(p) if k == key), None)
    if step is None or not template(step):
        raise NotFound(f"Playbook {playbook.name} has no {kind} step “{key[:60]}”.")
    targets = targets_for(services, incident.id)
    if [name for name in re.findall(r"{(\w+)}", template(step)) if not targets.get(name)]:
        raise UsageError("The incident's findings do not name this step's target yet; type the command yourself: "
                         f"`{_step_text(step, targets)[1]}`")
    return step, targets


def attach(services: Services, incident: Incident, name: str, actor: str, *, automated: bool = False) -> Incident:
    if name not in services.playbooks:
        raise UsageError(f"There is no playbook “{name[:60]}”; playbooks: {', '.join(sorted(services.playbooks))}.",
                         "/incident playbook <name>")

    def decide(current: Incident, _at) -> Mutation:
        if current.playbook == name:
            raise InvalidTransition(f"Incident {current.label} already follows {name}.")
        state = {"done": {}, "messages": {}, "total": services.playbooks[name].total_steps}
        return Mutation(changes={"playbook": name, "playbook_state": state}).note(
            "playbook", actor, f"Playbook: {name}", playbook=name, previous=current.playbook)

    incident, _ = incident_updates.change(services, incident.id, decide, actor=actor, automated=automated)
    return post_phase(services, incident, actor)


def post_phase(services: Services, incident: Incident, actor: str | None) -> Incident:
    """Post the checklist of the incident's current phase (once per phase), sending its
    notify steps as it does."""
    if not incident.playbook or not incident.channel_id:
        return incident
    playbook = services.playbooks.get(incident.playbook)
    if playbook is None or not playbook.keyed(incident.phase):
        return incident
    if incident.phase in incident.playbook_state.get("messages", {}):
        return incident
    targets = targets_for(services, incident.id)
    for key, step in playbook.keyed(incident.phase):
        if step.notify is not None and key not in incident.playbook_state.get("done", {}):
            services.chat.notify(step.notify.channel or incident.channel_id, step.notify.text)
            incident = _mark(services, incident, key, None, f"Notified: {step.notify.text}")
    ts = services.chat.post_checklist(incident, checklist(services, incident, incident.phase, targets))

    def remember(current: Incident, _at) -> Mutation:
        state = dict(current.playbook_state)
        state["messages"] = {**state.get("messages", {}), current.phase: ts}
        return Mutation(changes={"playbook_state": state})

    incident, _ = services.incidents.mutate(incident.id, remember, services.clock.now)
    return incident


def _mark(services: Services, incident: Incident, key: str, actor: str | None, text: str,
          answer: str | None = None) -> Incident:
    def decide(current: Incident, at) -> Mutation:
        done = dict(current.playbook_state.get("done", {}))
        if key in done:
            by = done[key].get("by")
            raise InvalidTransition("That step is already done" + (f" (by {person(by)})." if by else "."),
                                    mentions=(by,) if by else ())
        done[key] = {"by": actor, "at": at.isoformat(), **({"answer": answer} if answer else {})}
        return Mutation(changes={"playbook_state": {**current.playbook_state, "done": done}}).note(
            "playbook_step", actor, text, step=key, playbook=current.playbook)

    incident, _ = services.incidents.mutate(incident.id, closed.guard(decide), services.clock.now)
    return incident


def _find_step(services: Services, incident: Incident, key: str) -> tuple[str, Step]:
    playbook = _playbook(services, incident)
    phase, step = next(((p, s) for p in playbook.phases for k, s in playbook.keyed(p) if k == key), (None, None))
    if step is None:
        raise NotFound(f"Playbook {playbook.name} has no step “{key[:60]}”.")
    return phase, step


def question(services: Services, incident: Incident, key: str) -> str:
    """The question an `ask` step puts to the responders."""
    _, step = _find_step(services, incident, key)
    if step.ask is None:
        raise UsageError("That step is not a question; use its Done button.")
    return step.ask


def complete(services: Services, incident: Incident, key: str, actor: str, answer: str | None = None) -> Incident:
    """Tick a step (an `ask` step with its answer); the checklist message and the summary follow."""
    phase, step = _find_step(services, incident, key)
    answer = " ".join((answer or "").split())[:1000] or None
    if step.ask is not None and answer is None:
        raise UsageError("That step is a question: answer it with its Answer button.")
    text = f"Answered: {step.ask} — {answer}" if answer else f"Done: {_step_text(step, {})[0]}"
    incident = _mark(services, incident, key, actor, text, answer)
    _show_progress(services, incident, phase)
    return incident


def reopen(services: Services, incident: Incident, key: str, actor: str) -> Incident:
    """Take a tick back (done by mistake); the timeline keeps both."""
    phase, step = _find_step(services, incident, key)

    def decide(current: Incident, _at) -> Mutation:
        done = dict(current.playbook_state.get("done", {}))
        if key not in done:
            raise InvalidTransition("That step is not done, so there is nothing to undo.")
        del done[key]
        return Mutation(changes={"playbook_state": {**current.playbook_state, "done": done}}).note(
            "playbook_step", actor, f"Reopened: {_step_text(step, {})[0]}", step=key, playbook=current.playbook)

    require_responder(actor, services.config.access.responders, services.directory)
    incident, _ = services.incidents.mutate(incident.id, closed.guard(decide), services.clock.now)
    _show_progress(services, incident, phase)
    return incident


def _show_progress(services: Services, incident: Incident, phase: str) -> None:
    if incident.channel_id:
        services.chat.refresh(incident)
        ts = incident.playbook_state.get("messages", {}).get(phase)
        if ts:
            services.chat.update_checklist(incident, ts, checklist(services, incident, phase,
                                                                   targets_for(services, incident.id)))


def refresh_checklist(services: Services, incident_id: int) -> None:
    """Re-render the current phase's checklist (e.g. a finding was linked: targets changed)."""
    incident = services.incidents.get(incident_id)
    if incident is None or not incident.playbook or not incident.channel_id:
        return
    ts = incident.playbook_state.get("messages", {}).get(incident.phase)
    if ts and incident.playbook in services.playbooks:
        services.chat.update_checklist(incident, ts, checklist(services, incident, incident.phase,
                                                               targets_for(services, incident.id)))


# ---------------------------------------------------------------------- subscribers
def on_declared(services: Services, event: IncidentDeclared) -> None:
    """playbooks.auto_attach: the playbook matching the finding types, else the category, follows."""
    if not services.config.playbooks.auto_attach:
        return
    playbook = choose(services.playbooks, event.incident, event.finding_types)
    if playbook is not None:
        attach(services, event.incident, playbook.name, event.declared_by, automated=event.automated)


def on_changed(services: Services, event: IncidentChanged) -> None:
    """A phase change posts the new phase's checklist (once per phase)."""
    if not event.phase_changed:
        return
    incident = services.incidents.get(event.incident.id) or event.incident  # e.g. a drill scored meanwhile
    if not incident.playbook or not incident.channel_id:
        return
    try:
        post_phase(services, incident, event.actor)
    except ChatError as exc:
        raise incident_updates.saved_but_not_shown(incident, exc) from None


def on_finding_linked(services: Services, event: FindingLinked) -> None:
    """Contain and investigate steps can now name their targets."""
    refresh_checklist(services, event.incident_id)


def on_containment_finished(services: Services, event: ContainmentFinished) -> None:
    """A request that did what a contain (or evidence, remediate) step says ticks that step,
    however it was asked for: typed by hand, the step's button or a finding's menu. A step
    whose target the findings do not name yet matches on the action alone."""
    request = event.request
    if request.state != "succeeded" or request.is_undo:
        return
    incident = services.incidents.get(request.incident_id)
    if incident is None or incident.playbook not in services.playbooks:
        return
    playbook, done = services.playbooks[incident.playbook], incident.playbook_state.get("done", {})
    targets = targets_for(services, incident.id)
    for phase in playbook.phases:
        for key, step in playbook.keyed(phase):
            if key in done or step.proposal is None or step.proposal.action != request.action:
                continue
            names = re.findall(r"{(\w+)}", step.proposal.target)
            if all(targets.get(n) for n in names):
                wanted = re.sub(r"{(\w+)}", lambda m: targets[m.group(1)], step.proposal.target)
                if wanted.removesuffix("/32").lower() != request.target.removesuffix("/32").lower():
                    continue
            text = f"Done: {_step_text(step, {})[0].split(':')[0]}: {request.action} {request.target} " \
                   f"({request.label} succeeded)"
            try:
                incident = _mark(services, incident, key, request.requested_by, text)
            except InvalidTransition:
                return  # ticked meanwhile (by hand, or another replica's run)
            try:
                _show_progress(services, incident, phase)
            except ChatError:
                pass  # ticked and on the timeline; the checklist message catches up on its next change
            return
