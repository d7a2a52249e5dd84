"""What containment needs from the outside: the action catalog (AWS, in aws/actions), a
board that shows each request's card in chat (Slack, in handlers/containment), and the AWS
sandbox a drill's requests may act in (aws/sandbox.SandboxGuard)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.containment.catalog import Catalog
from core.containment.model import ContainRequest
from core.messages import PostedMessage
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Callable

__all__ = ["Board", "CardView", "Catalog", "Sandbox"]


@dataclass(frozen=True)
class CardView:
    """A request's card as core decided it (core/containment/cards.py): the request in its
    stored state, its plan lines, what the buttons and hints mean now, and where it goes."""

    request: ContainRequest
    incident_label: str
    channel: str | None  # where a new card is posted: the incident's channel, else where it was asked
    message: PostedMessage | None  # the card chat shows already: edited in place
    current: tuple[str, ...]  # the target's state now (the plan's read-only calls)
    changes: tuple[str, ...]  # what the action changes
    hypothetical: bool  # a dry run: the plan only, nothing changes ("Would change")
    decidable: bool  # Approve and Deny are offered: the request waits for a second person
    undoable: bool  # it succeeded and can be reversed (`undo`, approved like any request)
    # (file name, text) attached to a new card: what the plan shows in full that lines cannot
    # hold (restore-bucket-policy's whole policy and its statement-by-statement diff).
    attachment: tuple[str, str] | None = None


class Board(Protocol):
    """Request cards in chat: renders core's CardView and sends it; it reads no storage."""

    def post(self, card: CardView) -> PostedMessage | None:
        """Post a new card in `card.channel`; return where chat put it (None: this board
        shows nothing, e.g. a process without chat)."""

    def update(self, card: CardView) -> None:
        """Edit the card at `card.message` to show `card`."""


class Sandbox(Protocol):
    """The sandbox the composition root found (aws/sandbox.SandboxGuard)."""

    endpoint: str
    account: str
    region: str

    def placeholders(self) -> dict[str, str]:
        """`kind:name` -> id of what the sandbox holds (e.g. `instance:web-1`), plus account and region."""
        ...

    def not_in_use(self) -> str | None:
        """None while every AWS call of this process goes to the sandbox; else why not."""
        ...


class ContainmentRepository(Protocol):
    def create(self, fields: dict, event: dict, at: datetime) -> tuple[ContainRequest, bool]: ...

    def transition(self, request_id: int, decide: Callable, at: datetime) -> ContainRequest: ...

    def move(self, request_id: int, from_state: str, changes: dict, event: dict, at: datetime) -> bool: ...

    def claim(self, request_id: int, at: datetime) -> bool: ...

    def finish(self, request_id: int, changes: dict, event: dict, at: datetime) -> bool: ...

    def set_message(self, request_id: int, channel: str, ts: str) -> None: ...

    def record(self, request_id: int | None, event: dict, at: datetime) -> None: ...

    def get(self, request_id: int) -> ContainRequest | None: ...

    def by_key(self, key: str) -> ContainRequest | None: ...

    def holder(self, cover: str) -> ContainRequest | None:
        """The request covering this key now (core/containment/duplicates.py)."""

    def for_incident(self, incident_id: int) -> list[ContainRequest]: ...

    def in_states(self, *states: str) -> list[ContainRequest]: ...

    def undos_of(self, request_id: int) -> list[ContainRequest]: ...


class ExecutionLeaseRepository(Protocol):
    """A lease per running request, so recovery can tell a live run from an abandoned one."""

    def hold(self, request_id: int) -> AbstractContextManager[None]: ...

    def held(self, request_id: int) -> bool: ...
