"""The chat budget's rules (core/chat_budget.py) in one process: a channel is spaced from the
end of one send to the start of the next, a method keeps to its count per minute, a 429
pauses its lane, and an urgent sender that waits holds the others back."""

from core.chat_budget import Claim, Lane, MemoryBudget


class Time:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_channel_is_spaced_from_the_end_of_one_send_to_the_start_of_the_next():
    t = Time()
    budget, lane = MemoryBudget(t), Lane("channel:C1", spacing=1.0)
    first = budget.claim([lane])
    assert isinstance(first, Claim)
    t.now += 3.0  # a slow send: the channel stays held while it is in flight
    assert budget.claim([lane]) > 0
    budget.release(first, sent=True)
    t.now += 0.99
    assert abs(budget.claim([lane]) - 0.01) < 1e-6
    t.now += 0.01
    assert isinstance(budget.claim([lane]), Claim)


def test_a_turn_given_back_unsent_frees_the_channel_at_once():
    t = Time()
    budget, lane = MemoryBudget(t), Lane("channel:C1", spacing=1.0)
    budget.release(budget.claim([lane]), sent=False)
    assert isinstance(budget.claim([lane]), Claim)


def test_a_method_keeps_to_its_count_in_any_minute_and_bursts_up_to_it():
    t = Time()
    budget, lane = MemoryBudget(t), Lane("method:conversations.create", per_minute=3)
    for _ in range(3):
        assert isinstance(budget.claim([lane]), Claim)
        t.now += 1.0
    assert budget.claim([lane]) == 60.0 - 3.0  # the oldest start leaves the minute then
    t.now += 57.0
    assert isinstance(budget.claim([lane]), Claim)


def test_a_429_pauses_the_lane_and_claims_of_several_lanes_take_none_while_one_waits():
    t = Time()
    budget = MemoryBudget(t)
    update, channel = Lane("method:chat.update", per_minute=50), Lane("channel:C1", spacing=1.0)
    budget.pause(update, 5.0)
    assert budget.claim([update, channel]) == 5.0
    assert isinstance(budget.claim([channel]), Claim)  # the refused claim took nothing


def test_an_urgent_sender_that_waits_goes_before_the_others():
    t = Time()
    budget, lane = MemoryBudget(t), Lane("channel:C1", spacing=1.0)
    digest = budget.claim([lane])
    assert budget.claim([lane], urgent=True) > 0  # the reply waits for the digest in flight ...
    budget.release(digest, sent=True)
    t.now += 1.0
    assert budget.claim([lane]) > 0  # ... and the next digest waits for the reply
    assert isinstance(budget.claim([lane], urgent=True), Claim)
