"""Entry points: recognise and unwrap documents (EventBridge, SNS, API wrappers, JSON lines)."""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from core.findings.asff import looks_like_asff, parse_asff
from core.findings.cloudtrail import NoRuleMatched, looks_like_cloudtrail, parse_cloudtrail
from core.findings.cloudtrail_rules import Rule, RuleError, default_rules
from core.findings import formats
from core.findings.guardduty import looks_like_guardduty, parse_guardduty
from core.findings.model import Finding, FindingError
from core.findings.security_ir_events import CaseEvent, is_security_ir, read as read_case_event

ENVELOPE_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
CLOUDTRAIL_DETAIL_TYPES = {"AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
                           "AWS Service Event via CloudTrail"}
_NEXT_DOCUMENT = re.compile(r"^[\[{]", re.MULTILINE)
_JSON_LINE = re.compile(r"^[\[{].*[\]}]\s*$")
_MAX_DEPTH = 4  # SNS-in-SNS-in-... is not a real shape; stop before it gets silly


@dataclass
class Rejection:
    """`index`: 1-based top-level document (0 = whole input). `kind`: invalid | unsupported | no_match."""

    index: int
    reason: str
    kind: str = "invalid"


@dataclass
class NormalizeResult:
    findings: list[Finding] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    case_events: list[CaseEvent] = field(default_factory=list)  # Security IR cases that changed: not findings


class _Run:
    """One normalisation pass: collects findings/rejections; loads default rules only if needed."""

    def __init__(self, rules: Any) -> None:
        self._rules = None if rules is None else tuple(rules)
        self.result = NormalizeResult()

    def rules(self) -> tuple[Rule, ...]:
        if self._rules is None:
            try:
                self._rules = default_rules()
            except RuleError as exc:
                raise FindingError(f"CloudTrail detection rules unavailable: {exc}") from exc
        return self._rules

    def reject(self, index: int, where: str, reason: str, kind: str = "invalid") -> None:
        self.result.rejected.append(Rejection(index, f"{where}: {reason}", kind))

    def document(self, doc: Any, index: int, where: str, depth: int = 0) -> None:
        if not isinstance(doc, dict):
            self.reject(index, where, f"expected a JSON object, got {_kind(doc)}")
        elif depth > _MAX_DEPTH:
            self.reject(index, where, "wrapped too deeply (SNS/EventBridge nesting)")
        elif doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
            self.message(doc["Message"], "SNS notification", index, where, depth)
        elif "detail-type" in doc or (isinstance(doc.get("detail"), dict) and set(doc) <= ENVELOPE_KEYS):
            self.eventbridge(doc, index, where)
        elif isinstance(doc.get("Findings"), list):
            self.each(doc["Findings"], index, where, "Findings", None)
        elif isinstance(doc.get("findings"), list):  # EventBridge Security Hub detail without envelope
            self.each(doc["findings"], index, where, "findings", "asff-event")
        elif isinstance(doc.get("Records"), list):
            for i, record in enumerate(doc["Records"]):
                here = f"{where} (Records[{i}])"
                if isinstance(record, dict) and isinstance(record.get("Sns"), dict):  # Lambda SNS event
                    self.document({"Type": "Notification", **record["Sns"]}, index, here, depth + 1)
                elif isinstance(record, dict) and record.get("eventSource") == "aws:sqs" and isinstance(
                        record.get("body"), str):  # Lambda SQS event (EventBridge -> SQS)
                    self.message(record["body"], "SQS message", index, here, depth)
                else:
                    self.leaf(record, index, here, None)
        else:
            self.leaf(doc, index, where, None)

    def message(self, message: str, carrier: str, index: int, where: str, depth: int) -> None:
        """An SNS Message / SQS body carrying a JSON document (or array of them)."""
        try:
            inner = json.loads(message)
        except (ValueError, RecursionError):
            self.reject(index, where, f"{carrier} whose body is not JSON")
            return
        for item in inner if isinstance(inner, list) else [inner]:
            self.document(item, index, where, depth + 1)

    def eventbridge(self, event: dict[str, Any], index: int, where: str) -> None:
        detail_type, detail = event.get("detail-type"), event.get("detail")
        if not isinstance(detail, dict):
            self.reject(index, where, f"EventBridge event {detail_type!r} without a detail object")
        elif detail_type == "GuardDuty Finding":
            self.leaf(detail, index, where, "guardduty-event", event)
        elif isinstance(detail_type, str) and detail_type.startswith("Security Hub Findings"):
            if not isinstance(detail.get("findings"), list):
                self.reject(index, where, f"EventBridge event {detail_type!r} without detail.findings")
            else:
                self.each(detail["findings"], index, where, "findings", "asff-event", event)
        elif detail_type in CLOUDTRAIL_DETAIL_TYPES:
            self.leaf(detail, index, where, "cloudtrail-event", event)
        elif is_security_ir(event) and (case_event := read_case_event(event)) is not None:
            self.result.case_events.append(case_event)
        elif detail_type in formats.EVENTS:  # OCSF (Findings Imported V2), Inspector2, Macie
            fmt, key = formats.EVENTS[detail_type]
            if key is None:
                self.leaf(detail, index, where, fmt, event)
            elif not isinstance(detail.get(key), list):
                self.reject(index, where, f"EventBridge event {detail_type!r} without detail.{key}")
            else:
                self.each(detail[key], index, where, key, fmt, event)
        elif detail_type is None:  # partial envelope: only "detail" (and maybe region/account)
            if isinstance(detail.get("findings"), list):
                self.each(detail["findings"], index, where, "findings", "asff-event", event)
            else:
                family = _family(detail, None)
                self.leaf(detail, index, where, family and f"{family}-event", event)
        else:
            self.reject(index, where, f"unsupported EventBridge event {detail_type!r} "
                        f"(source {event.get('source')!r})", "unsupported")

    def each(self, items: list[Any], index: int, where: str, key: str, fmt: str | None,
             envelope: dict[str, Any] | None = None) -> None:
        for i, item in enumerate(items):
            self.leaf(item, index, f"{where} ({key}[{i}])", fmt, envelope)

    def leaf(self, doc: Any, index: int, where: str, fmt: str | None,
             envelope: dict[str, Any] | None = None) -> None:
        """One finding-level document; `fmt` is the raw_format when the wrapper already tells it."""
        if not isinstance(doc, dict):
            self.reject(index, where, f"expected a JSON object, got {_kind(doc)}")
            return
        family = _family(doc, fmt)
        if family is None:
            self.reject(index, where, "not a GuardDuty, Security Hub or CloudTrail document "
                        f"(keys: {_keys(doc)})", "unsupported")
            return
        raw_format = fmt if fmt and fmt.startswith(family) else family
        try:
            if family == "asff":
                finding = parse_asff(doc, raw_format, envelope)
            elif family == "cloudtrail":
                finding = parse_cloudtrail(doc, self.rules(), envelope)
            elif family in formats.FORMATS:
                finding = formats.parse(family, doc, raw_format, envelope)
            else:
                finding = parse_guardduty(doc, raw_format, envelope)
        except NoRuleMatched as exc:
            self.reject(index, where, str(exc), "no_match")
            return
        except FindingError as exc:
            self.reject(index, where, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a bad document must never break the caller
            self.reject(index, where, f"internal error while normalizing: {type(exc).__name__}: {exc}")
            return
        self.result.findings.append(finding)


def _family(doc: dict[str, Any], fmt: str | None) -> str | None:
    """asff / cloudtrail / guardduty by shape; else what the wrapper said (to report what is missing)."""
    if looks_like_asff(doc):
        return "asff"
    if looks_like_cloudtrail(doc):
        return "cloudtrail"
    if looks_like_guardduty(doc):
        return "guardduty"
    family = formats.family_of(doc)
    if family is not None:
        return family
    return fmt.split("-")[0] if fmt else None


def _kind(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", type(None): "null", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)


def _keys(doc: dict[str, Any], limit: int = 8) -> str:
    keys = sorted(str(k) for k in doc)
    return ", ".join(keys[:limit]) + (", ..." if len(keys) > limit else "") if keys else "none"


def normalize(document: Any, rules: Any = None) -> NormalizeResult:
    """Normalise one parsed document, or a list of them (each list element is a document)."""
    if isinstance(document, (str, bytes)):
        return normalize_text(document, rules)
    run = _Run(rules)
    for index, doc in enumerate(document if isinstance(document, list) else [document], start=1):
        _safely(run, doc, index)
    return run.result


def _safely(run: _Run, doc: Any, index: int) -> None:
    try:
        run.document(doc, index, f"document {index}")
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        run.reject(index, f"document {index}", f"internal error while normalizing: {type(exc).__name__}: {exc}")


def normalize_text(text: str | bytes, rules: Any = None, *, max_documents: int | None = None,
                   max_errors: int | None = None) -> NormalizeResult:
    """Parse one JSON document, a JSON array, or several documents (JSON lines / concatenated).

    Linear in the size of the input, however broken it is. `max_documents` / `max_errors`
    stop the parse (with a rejection saying so) after that many top-level documents or
    invalid-JSON errors; callers that take bodies from the network set them (see BODY_LIMITS)."""
    run = _Run(rules)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            run.reject(0, "input", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return run.result
    text = text.lstrip("\ufeff")
    if not text.strip():
        run.reject(0, "input", "empty input: expected JSON")
        return run.result
    limits = _Limits(run, max_documents, max_errors)
    try:
        if _looks_like_json_lines(text):
            _json_lines(run, text, limits)
        else:
            _json_stream(run, text, limits)
    except _LimitReached:
        pass
    return run.result


# Caps for one body received over the network (SNS, EventBridge): real bodies hold at most a
# few hundred documents (SNS/EventBridge stop at 256 KB); a body of garbage gets a few reasons.
BODY_LIMITS = {"max_documents": 1000, "max_errors": 20}


class _LimitReached(Exception):
    pass


class _Limits:
    """Counts top-level documents and JSON errors; says so once and stops the parse past a cap."""

    def __init__(self, run: _Run, max_documents: int | None, max_errors: int | None) -> None:
        self.run, self.max_documents, self.max_errors = run, max_documents, max_errors
        self.documents = self.errors = 0

    def document(self) -> int:
        if self.max_documents is not None and self.documents >= self.max_documents:
            self.run.reject(0, "input", f"more than {self.max_documents} documents: the rest was not read")
            raise _LimitReached
        self.documents += 1
        return self.documents

    def error(self, reason: str) -> None:
        if self.max_errors is not None and self.errors >= self.max_errors:
            self.run.reject(0, "input", f"more than {self.max_errors} invalid documents: the rest was not read")
            raise _LimitReached
        self.errors += 1
        self.documents += 1
        self.run.reject(self.documents, f"document {self.documents}", reason)


def _looks_like_json_lines(text: str) -> bool:
    """Every line is a one-line document, or the first of several lines parses on its own."""
    lines = [line for line in text.splitlines() if line.strip()]
    if all(_JSON_LINE.match(line) for line in lines):
        return True
    try:
        return len(lines) > 1 and _JSON_LINE.match(lines[0]) is not None and json.loads(lines[0]) is not None
    except (ValueError, RecursionError):
        return False


def _json_lines(run: _Run, text: str, limits: _Limits) -> None:
    """One document per line; a broken line is reported by its line number and skipped."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            column = f", column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            limits.error(f"invalid JSON at line {lineno}{column}: {_json_problem(exc)}")
            continue
        for doc in value if isinstance(value, list) else [value]:
            _safely(run, doc, limits.document())


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


_BLANK_TO_END = re.compile(r"\s*\Z")


class _Lines:
    """Line numbers by offset in O(log n), from one pass over the text (made on first use)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: list[int] | None = None

    def _table(self) -> list[int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return self._newlines

    def number(self, offset: int) -> int:
        """1-based line of `offset`."""
        return bisect.bisect_left(self._table(), offset) + 1

    def start(self, offset: int) -> int:
        """Offset where the line holding `offset` begins."""
        table = self._table()
        i = bisect.bisect_left(table, offset)
        return table[i - 1] + 1 if i else 0


def _json_stream(run: _Run, text: str, limits: _Limits) -> None:
    """One (pretty-printed) document, or several concatenated. After an error, resume at the next
    line (after the broken document's first line) that starts with '{' or '[' in column 0.

    Linear however broken the input: the decoder only ever sees a window of the text from the
    start of a line to the next line that starts with '{' or '[' (a document that runs past
    it gets a window twice as large, and so on), so neither its scan nor its error position
    (json computes line and column by counting from the start of what it was given) nor our own
    line numbers cost more than the window; after an error the window starts afresh."""
    decoder, lines, size = json.JSONDecoder(), _Lines(text), len(text)
    starts = [m.start() for m in _NEXT_DOCUMENT.finditer(text)]  # candidate document starts

    def boundary_after(offset: int) -> int:
        i = bisect.bisect_right(starts, offset)
        return starts[i] if i < len(starts) else size

    pos, base, end, window = 0, 0, -1, ""
    while True:
        while pos < size and text[pos].isspace():
            pos += 1
        if pos >= size:
            return
        if pos >= end:
            base, end = lines.start(pos), boundary_after(pos)
            window = text[base:end]
        try:
            while True:
                try:
                    value, local = decoder.raw_decode(window, pos - base)
                    break
                except json.JSONDecodeError as exc:
                    if end >= size or not _BLANK_TO_END.match(window, exc.pos):
                        raise
                    end = boundary_after(base + 2 * (end - base) - 1)  # it runs on: a window twice as large
                    window = text[base:end]
        except json.JSONDecodeError as exc:
            start = lines.number(pos)
            line = lines.number(base) + exc.lineno - 1
            where = f" (document starts at line {start})" if start != line else ""
            limits.error(f"invalid JSON at line {line}, column {exc.colno}{where}: {exc.msg}")
            resync = boundary_after(pos)  # the next line after the broken document's first that may start one
            if resync >= size:
                return
            pos, end = resync, -1
            continue
        except (ValueError, RecursionError) as exc:  # absurd nesting, oversized integers
            limits.error(f"invalid JSON: {_json_problem(exc)}")
            return
        pos = base + local
        for doc in value if isinstance(value, list) else [value]:
            _safely(run, doc, limits.document())
