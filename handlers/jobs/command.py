"""What a job holds: one typed command and where to answer, as one JSON document.

`Command` is the base of every unit of work a listener can enqueue: it names its route and
carries the acting user and team as the verified request said them; each subclass adds
only what its work needs. `ReplyTo` holds only what answering needs. Nothing else of the
Slack request is kept, so a row in `jobs` is exactly the command it names, and the whole
document (`document()`) is the one thing a later MAC needs to cover."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

VERSION = 1


class Command(BaseModel):
    """A unit of work, parsed once in the ack; `route` names its handler in the worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    route: ClassVar[str]
    opens_form: ClassVar[bool] = False  # its work opens a form: the reply needs the trigger id

    user: str
    team: str | None = None


class ReplyTo(BaseModel):
    """Where the work answers: the request's response_url, the channel and thread it came
    from, the person to tell in a DM when there is no response_url (a form's submitter), and
    the trigger id when the work opens a form (Slack honours it for a few seconds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    response_url: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    trigger_id: str | None = None


class JobDocument(BaseModel):
    """The payload of a job row, as the worker validates it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    route: str
    command: dict[str, Any]
    reply_to: ReplyTo


def document(command: Command, reply_to: ReplyTo) -> dict[str, Any]:
    """The job's payload: plain JSON, the same keys in the same order every time."""
    return {"version": VERSION, "route": command.route, "command": command.model_dump(mode="json"),
            "reply_to": reply_to.model_dump(mode="json", exclude_none=True)}
