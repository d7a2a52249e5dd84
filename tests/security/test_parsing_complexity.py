"""Issue 10, item 10: a body of broken JSON documents must cost time linear in its size.

The attack: a 255 KB body of broken documents ("{x" per line) took ~15 s of CPU, because
every error made json count lines from the start of the whole text (and so did we).
The work is measured deterministically (characters the decoder scans or counts), so the
test tells quadratic from linear without depending on the machine's speed; wall-clock
bounds are kept generous."""

import gc
import json
import time
import urllib.error
import urllib.request

import pytest

from core.findings import normalize as normalize_module
from core.findings.normalize import BODY_LIMITS, normalize_text
from composition import local_workspace
from tests.support.findings import tuned

BROKEN_LINE = "{x\n"  # takes the concatenated-documents path; every line is its own JSON error
SIZE = 255 * 1024


def broken_body(size: int = SIZE) -> str:
    return BROKEN_LINE * (size // len(BROKEN_LINE))


class CountingDecoder(json.JSONDecoder):
    """Adds up the characters each raw_decode call costs: what it scans, and on an error the
    characters json counts (from the start of the string it was given) to report the line."""

    work = 0
    calls = 0

    def raw_decode(self, s, idx=0):
        type(self).calls += 1
        try:
            value, end = super().raw_decode(s, idx)
        except json.JSONDecodeError as exc:
            type(self).work += exc.pos
            raise
        type(self).work += end - idx
        return value, end


@pytest.fixture
def counting(monkeypatch):
    CountingDecoder.work = CountingDecoder.calls = 0
    monkeypatch.setattr(normalize_module.json, "JSONDecoder", CountingDecoder)
    return CountingDecoder


def test_broken_255kb_body_is_parsed_in_linear_work(counting):
    body = broken_body()
    documents = len(body) // len(BROKEN_LINE)
    quarter = _cpu_seconds(lambda: normalize_text(broken_body(len(body) // 4), rules=()))
    counting.work = counting.calls = 0
    result = None

    def whole():
        nonlocal result
        result = normalize_text(body, rules=())

    elapsed = _cpu_seconds(whole)
    assert len(result.rejected) == documents and not result.findings  # every error reported, uncapped
    assert result.rejected[-1].reason.startswith(f"document {documents}: invalid JSON at line {documents}, column 2")
    assert counting.calls == documents  # one decoder call per broken document
    assert counting.work <= 2 * len(body), counting.work  # quadratic would be ~ len(body) * documents / 2
    # Beyond the decoder (line numbers, error records): 4x the input costs ~4x the CPU, where
    # quadratic work would cost ~16x. Relative, so a slow or busy machine does not fail it.
    assert elapsed < 8 * quarter, f"{elapsed:.2f} s of CPU for 255 KB against {quarter:.2f} s for a quarter of it"


def _cpu_seconds(run) -> float:
    """This thread's CPU time for `run`, without the collector's pauses (which grow with
    whatever else the test process holds, not with the parser)."""
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        run()
        return time.thread_time() - started
    finally:
        gc.enable()


def test_work_grows_linearly_with_the_body(counting):
    normalize_text(broken_body(64 * 1024), rules=())
    small = counting.work
    counting.work = 0
    normalize_text(broken_body(256 * 1024), rules=())
    assert counting.work <= 4.5 * small  # 4x the input: ~4x the work (quadratic: ~16x)


def test_a_document_spanning_many_candidate_lines_stays_linear(counting):
    """An array whose elements start in column 0 runs past each parsing window: the window
    doubles, so one document is scanned a bounded number of times."""
    body = "[\n" + ",\n".join('{"n": %d}' % i for i in range(20000)) + "\n]\n" + broken_body(32 * 1024)
    result = normalize_text(body, rules=())
    assert len([r for r in result.rejected if "invalid JSON" in r.reason]) == 32 * 1024 // len(BROKEN_LINE)
    assert counting.work <= 4 * len(body), counting.work


def test_body_caps_stop_after_so_many_documents_and_errors():
    capped = normalize_text(broken_body(), rules=(), **BODY_LIMITS)
    assert len(capped.rejected) == BODY_LIMITS["max_errors"] + 1
    assert capped.rejected[-1].reason == (f"input: more than {BODY_LIMITS['max_errors']} invalid documents: "
                                          "the rest was not read")
    many = "\n".join(json.dumps({"n": i}) for i in range(BODY_LIMITS["max_documents"] + 50))
    result = normalize_text(many, rules=(), **BODY_LIMITS)
    assert len(result.rejected) == BODY_LIMITS["max_documents"] + 1  # each an unsupported doc, then the cap
    assert result.rejected[-1].reason == (f"input: more than {BODY_LIMITS['max_documents']} documents: "
                                          "the rest was not read")


SECRET = "s3cret-for-complexity"


def test_eventbridge_intake_answers_a_broken_255kb_body_quickly_with_capped_reasons(settings, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    ws = local_workspace(tuned(settings), threads=2)
    try:
        request = urllib.request.Request(ws.url + "/intake/eventbridge", data=broken_body().encode(), method="POST",
                                         headers={"X-Firebreak-Intake-Secret": SECRET})
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        elapsed = time.monotonic() - started
        assert refused.value.code == 400
        rejected = json.loads(refused.value.read())["rejected"]
        assert len(rejected) == BODY_LIMITS["max_errors"] + 1 and "the rest was not read" in rejected[-1]
        assert elapsed < 2.0, f"{elapsed:.2f} s to answer"
    finally:
        ws.stop()
