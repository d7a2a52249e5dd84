"""One budget for what the deployment sends to chat, shared by every process that sends.

Chat platforms limit a workspace, not a process: N workers pacing on their own send N times
the limit. So each send first claims its *lanes* in one budget:

- a channel lane paces one channel: `spacing` seconds from the end of one send to the start
  of the next (measured from the end, so the platform sees them at least that far apart); a
  send in flight holds the lane (for at most HOLD_SECONDS, in case its process dies);
- a method lane holds a method to `per_minute` starts in any 60 seconds (bursts allowed up
  to that count, as the platform's tiers allow).

A rate-limit answer (HTTP 429) pauses its lane for everyone for its Retry-After. An urgent
sender (a reply to a person, an approval card) that has to wait marks the lane, and the
others (finding digests) hold back until it has had its turn.

The rules are pure functions of a lane's state (below), so the two budgets apply the same
ones: store/chat_budget.py keeps the state in the database for many processes (PostgreSQL),
MemoryBudget keeps it in this process (SQLite: one process)."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Protocol, Sequence

HOLD_SECONDS = 30.0  # a send in flight holds its channel at most this long (its process may die)
URGENT_GRACE = 2.0  # an urgent sender's mark outlives the wait it announced by this much
WINDOW = 60.0  # seconds over which a method lane counts its starts


@dataclass(frozen=True)
class Lane:
    name: str  # "channel:C123" or "method:chat.update"
    spacing: float = 0.0
    per_minute: int | None = None


@dataclass(frozen=True)
class LaneState:
    next_at: float = 0.0  # no send starts before (the spacing after the last one, or a held send's lease)
    paused_until: float = 0.0  # a 429: nobody sends before
    urgent_until: float = 0.0  # an urgent sender is waiting: the others hold back until then
    holder: str | None = None  # the send in flight on a spaced lane
    recent: tuple[float, ...] = ()  # starts in the last WINDOW seconds, oldest first


@dataclass(frozen=True)
class Claim:
    """The right to send once on every lane in `lanes`; released when the send is over."""

    lanes: tuple[Lane, ...]
    holder: str


class ChatBudget(Protocol):
    def claim(self, lanes: Sequence[Lane], *, urgent: bool = False) -> Claim | float:
        """Every lane at once, or the seconds to wait before asking again (nothing taken)."""

    def release(self, claim: Claim, *, sent: bool) -> None:
        """The send is over (`sent`: it reached the platform, so the spacing starts now)."""

    def pause(self, lane: Lane, seconds: float) -> None:
        """The platform said 429: nobody sends on `lane` for `seconds`."""


# ----------------------------------------------------------------------- the rules
def wait_for(lane: Lane, state: LaneState, now: float, *, urgent: bool) -> float:
    """Seconds before a send may start on `lane` (0: now)."""
    # A send in flight ends with the spacing from its end: no sooner than `spacing` from now
    # (its lease is only for a holder that died, not how long to wait).
    until_free = min(state.next_at - now, lane.spacing) if state.holder is not None else state.next_at - now
    waits = [until_free, state.paused_until - now]
    if not urgent:
        waits.append(state.urgent_until - now)
    if lane.per_minute is not None:
        recent = [t for t in state.recent if t > now - WINDOW]
        if len(recent) >= lane.per_minute:
            waits.append(recent[-lane.per_minute] + WINDOW - now)
    return max(0.0, *waits)


def taken(lane: Lane, state: LaneState, now: float, holder: str, *, urgent: bool) -> LaneState:
    recent = tuple(t for t in state.recent if t > now - WINDOW) + (now,) if lane.per_minute is not None else ()
    held = lane.spacing > 0
    return dataclasses.replace(state, recent=recent, next_at=now + HOLD_SECONDS if held else state.next_at,
                               holder=holder if held else None, urgent_until=0.0 if urgent else state.urgent_until)


def released(lane: Lane, state: LaneState, now: float, holder: str, *, sent: bool) -> LaneState:
    if lane.spacing <= 0 or state.holder != holder:  # nothing held, or the hold ran out and was taken
        return state
    return dataclasses.replace(state, holder=None, next_at=now + lane.spacing if sent else now)


def paused(state: LaneState, now: float, seconds: float) -> LaneState:
    return dataclasses.replace(state, paused_until=max(state.paused_until, now + seconds))


def decide(lanes: Iterable[Lane], states: Mapping[str, LaneState], now: float, holder: str, *,
           urgent: bool) -> tuple[float, dict[str, LaneState]]:
    """(seconds to wait, the lanes' new states): all lanes taken when the wait is 0; else
    nothing taken, and an urgent sender's mark left on the spaced lanes it waits for."""
    lanes = list(lanes)
    wait = max((wait_for(lane, states[lane.name], now, urgent=urgent) for lane in lanes), default=0.0)
    if wait > 0:
        if not urgent:
            return wait, {}
        return wait, {lane.name: dataclasses.replace(states[lane.name], urgent_until=max(
            states[lane.name].urgent_until, now + wait + URGENT_GRACE)) for lane in lanes if lane.spacing > 0}
    return 0.0, {lane.name: taken(lane, states[lane.name], now, holder, urgent=urgent) for lane in lanes}


def new_holder() -> str:
    return uuid.uuid4().hex[:16]


# ----------------------------------------------------------------------- one process
class MemoryBudget:
    """ChatBudget for one process (SQLite deployments, the local workspace, tests)."""

    def __init__(self, now: Callable[[], float] = time.time):
        self._now = now
        self._lock = threading.Lock()
        self._states: dict[str, LaneState] = {}

    def claim(self, lanes: Sequence[Lane], *, urgent: bool = False) -> Claim | float:
        holder = new_holder()
        with self._lock:
            states = {lane.name: self._states.get(lane.name, LaneState()) for lane in lanes}
            wait, changed = decide(lanes, states, self._now(), holder, urgent=urgent)
            self._states.update(changed)
        return wait if wait > 0 else Claim(tuple(lanes), holder)

    def release(self, claim: Claim, *, sent: bool) -> None:
        with self._lock:
            now = self._now()
            for lane in claim.lanes:
                state = self._states.get(lane.name, LaneState())
                self._states[lane.name] = released(lane, state, now, claim.holder, sent=sent)

    def pause(self, lane: Lane, seconds: float) -> None:
        with self._lock:
            self._states[lane.name] = paused(self._states.get(lane.name, LaneState()), self._now(), seconds)
