"""Durable work after Slack's ack: every listener that changes something is registered here
as (route, ack, work).

The web side: Bolt calls the ack; if it accepted the request (it acked without an answer,
and handed the work what it parsed through `middleware.accept` where the work wants it),
the request body and the parsed command are committed as a job keyed by the Slack act's
natural key (a retry enqueues nothing new) and only then is Slack's ack sent. If the commit
fails, nothing is acked and Slack tries again.

The worker side: `Jobs.execute` rebuilds what Bolt would hand the work from the stored body
(command/action/view/event, respond on the body's response_url, say, the app's Web API
client, the context with the parsed value) and runs the same `once()`-wrapped function."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from slack_bolt.context import BoltContext
from slack_bolt.context.respond import Respond
from slack_bolt.context.say import Say
from slack_bolt.request.internals import extract_channel_id, extract_thread_ts
from slack_bolt.request.payload_utils import to_action, to_command, to_event, to_view

from core import acts
from core.jobs import Job, JobFailed, utcnow
from core.services import Services
from handlers.middleware import FINAL_ATTEMPT, PARSED, request_key

log = logging.getLogger("firebreak.jobs")
LISTENER_ARGS = ("ack", "body", "context", "client", "respond", "say", "logger", "command", "action", "view",
                 "event")


@dataclass(frozen=True)
class Route:
    name: str
    work: Callable  # wrapped by middleware.once
    parsed: type | None  # the dataclass the ack's parsed value is rebuilt as (None: plain JSON)


class _HeldAck:
    """Stands in for Bolt's ack while the listener's own ack decides; sent after the commit."""

    def __init__(self):
        self.called, self.args, self.kwargs = False, (), {}

    def __call__(self, *args, **kwargs):
        self.called, self.args, self.kwargs = True, args, kwargs


def encode(parsed: Any) -> Any:
    return dataclasses.asdict(parsed) if dataclasses.is_dataclass(parsed) else parsed


class Jobs:
    """The route table of one Bolt app: what its web side enqueues and its workers run."""

    def __init__(self, app, services: Services):
        self.app, self.services = app, services
        self.routes: dict[str, Route] = {}

    @property
    def client(self):
        """The app's Web API client (for acks that open a form)."""
        return getattr(self.app, "client", None)

    # ------------------------------------------------------------------ registration
    def command(self, name: str, ack: Callable, work: Callable, *, parsed: type | None = None) -> None:
        self._add(f"command:{name}", self.app.command(name), ack, work, parsed)

    def action(self, action_id: str, ack: Callable, work: Callable, *, parsed: type | None = None) -> None:
        self._add(f"action:{action_id}", self.app.action(action_id), ack, work, parsed)

    def view(self, callback_id: str, ack: Callable, work: Callable, *, parsed: type | None = None) -> None:
        self._add(f"view:{callback_id}", self.app.view(callback_id), ack, work, parsed)

    def event(self, event_type: str, ack: Callable, work: Callable, *, parsed: type | None = None) -> None:
        self._add(f"event:{event_type}", self.app.event(event_type), ack, work, parsed)

    def _add(self, route: str, listen: Callable, ack_fn: Callable, work: Callable, parsed: type | None) -> None:
        if route in self.routes:
            raise ValueError(f"two listeners for {route}")
        self.routes[route] = Route(route, work, parsed)
        ack_wants = inspect.getfullargspec(ack_fn).args
        work_wants_parsed = "parsed" in getattr(work, "wants", ())

        def ack_then_enqueue(ack, body, context, client, respond, say, logger, command, action, view, event):
            held = _HeldAck()
            available = dict(ack=held, body=body, context=context, client=client, respond=respond, say=say,
                             logger=logger, command=command, action=action, view=view, event=event)
            ack_fn(**{name: available[name] for name in ack_wants})
            if not held.called:
                return None
            if not work_wants_parsed or context.get(PARSED) is not None:
                self.enqueue(route, body, context.get(PARSED))
            return ack(*held.args, **held.kwargs)

        ack_then_enqueue.__name__ = f"ack_{getattr(ack_fn, '__name__', 'listener')}"
        listen(ack_then_enqueue)

    # ------------------------------------------------------------------ the web side
    def enqueue(self, route: str, body: dict, parsed: Any) -> bool:
        """Commit the job for this request; False when it was enqueued before (a Slack retry)."""
        key = request_key(body) or f"once:{uuid.uuid4().hex}"  # no natural key: this delivery only
        added = self.services.repos.jobs.enqueue(key=key, route=route, payload={"body": body,
                                                                                "parsed": encode(parsed)},
                                                 at=utcnow())
        if not added:
            self.services.telemetry.duplicate_requests.inc()
            log.info("ignored a repeated Slack request %s", key)
        return added

    # ------------------------------------------------------------------ the worker side
    def execute(self, job: Job, final: bool = True) -> None:
        route = self.routes.get(job.route)
        if route is None:
            raise JobFailed(f"no listener is registered for {job.route}")
        body = job.payload.get("body") or {}
        parsed = job.payload.get("parsed")
        if route.parsed is not None and isinstance(parsed, dict):
            parsed = route.parsed(**parsed)
        client = self.app.client
        context = BoltContext({PARSED: parsed, FINAL_ATTEMPT: final})
        response_url = body.get("response_url") or next(
            (u.get("response_url") for u in body.get("response_urls") or [] if u.get("response_url")), None)
        kwargs = dict(body=body, command=to_command(body), action=to_action(body), view=to_view(body),
                      event=to_event(body), respond=Respond(response_url=response_url), client=client,
                      say=Say(client, extract_channel_id(body), extract_thread_ts(body)), context=context,
                      logger=log)
        with acts.acting(job.key):
            route.work(**kwargs)
