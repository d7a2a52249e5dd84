"""core.investigation.ports.LogQueries over Athena (the CloudTrail table) and CloudTrail Lake
(an event data store): start a statement from the query pack, report its state, read its
rows as events, cancel it. Every refusal is one sentence saying why: permission, the table,
database or event data store missing, throttling, or the engine's own reason."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterator

from aws.errors import AwsActionError, aws_errors
from aws.sessions import AwsSessions
from core.errors import FirebreakError
from core.investigation.config import AthenaConfig, LakeConfig
from core.investigation.model import Event
from core.investigation.ports import QueryState, Statement

log = logging.getLogger("firebreak.investigation")
PAGE = 1000
MAX_REASON = 400
PERMISSION = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized")
THROTTLED = ("TooManyRequestsException", "ThrottlingException", "Throttling", "MaxConcurrentQueriesException",
             "RequestLimitExceeded")
LAKE_STORE = ("EventDataStoreNotFoundException", "InactiveEventDataStoreException",
              "EventDataStoreARNInvalidException")
ATHENA_STATES = {"QUEUED": "queued", "RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed",
                 "CANCELLED": "cancelled"}
LAKE_STATES = {"QUEUED": "queued", "RUNNING": "running", "FINISHED": "succeeded", "FAILED": "failed",
               "CANCELLED": "cancelled", "TIMED_OUT": "failed"}


def _short(text: str) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def _at(value: str) -> datetime | None:
    text = str(value or "").strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _events(rows: list[dict[str, str]]) -> list[Event]:
    events = []
    for row in rows:
        at = _at(row.get("eventtime", ""))
        if at is None:
            log.warning("skipped a query row without a readable eventtime")
            continue
        events.append(Event(at=at, name=row.get("eventname", ""), source=row.get("eventsource", ""),
                            user=row.get("principal", ""), source_ip=row.get("sourceip", ""),
                            user_agent=row.get("useragent", "")[:200], error=row.get("errorcode", ""),
                            event_id=row.get("eventid", "")))
    return events


class _Engine:
    engine = ""
    service = ""
    why_missing = ""

    def _call(self, operation: str, client, **params) -> dict:
        try:
            with aws_errors(self.service):
                return getattr(client, operation)(**params)
        except AwsActionError as exc:
            raise FirebreakError(f"{exc.message} — {self._why(exc)}.") from None

    def _why(self, exc: AwsActionError) -> str:
        text = exc.message.lower()
        if exc.code in PERMISSION or "not authorized" in text or "access denied" in text:
            return ("permission: Firebreak's role may not run this query (see the Investigation statements of "
                    "iam/firebreak-policy.json and iam/README.md)")
        if exc.code in THROTTLED or "rate exceeded" in text:
            return f"throttled: {self.label} is refusing more queries just now; ask again shortly"
        if exc.code in LAKE_STORE or "does not exist" in text or "not found" in text:
            return f"missing: {self.why_missing}"
        return f"{self.label} refused the query"

    @property
    def label(self) -> str:
        return {"athena": "Athena", "lake": "CloudTrail Lake"}[self.engine]

    def _reason(self, reason: str) -> str:
        """The engine's reason for a failed query, with what it means first."""
        text = _short(reason)
        low = text.lower()
        if any(s in low for s in ("table_not_found", "schema_not_found", "does not exist", "not found")):
            return f"missing: {self.why_missing}. {self.label} said: {text}"
        if any(s in low for s in ("access denied", "accessdenied", "not authorized", "insufficient permissions",
                                  "permission")):
            return (f"permission: {self.label} could not read the CloudTrail logs or write the results "
                    f"(iam/README.md). {self.label} said: {text}")
        if any(s in low for s in ("rate exceeded", "throttl", "too_many_requests", "slow down", "slowdown")):
            return f"throttled: ask again shortly. {self.label} said: {text}"
        return f"{self.label} said: {text}" if text else ""


class AthenaQueries(_Engine):
    engine, service = "athena", "athena"

    def __init__(self, sessions: AwsSessions, config: AthenaConfig):
        self.sessions, self.config = sessions, config
        self.where = f"Athena workgroup {config.workgroup}: {config.database}.{config.table}"
        self.why_missing = (f"the table {config.database}.{config.table} (investigation.athena.database and "
                            f"table) or the workgroup {config.workgroup} does not exist where Firebreak looked")

    def _client(self):
        return self.sessions.client("athena", account=self.config.account, region=self.config.region,
                                    session_name="firebreak-investigate")

    def start(self, statement: Statement) -> str:
        params: dict[str, Any] = {"QueryString": statement.sql, "WorkGroup": self.config.workgroup,
                                  "QueryExecutionContext": {"Catalog": self.config.catalog,
                                                            "Database": self.config.database}}
        if statement.parameters:
            params["ExecutionParameters"] = list(statement.parameters)
        if self.config.output_location:
            params["ResultConfiguration"] = {"OutputLocation": self.config.output_location}
        return self._call("start_query_execution", self._client(), **params)["QueryExecutionId"]

    def state(self, query_id: str) -> QueryState:
        execution = self._call("get_query_execution", self._client(), QueryExecutionId=query_id)["QueryExecution"]
        status = execution.get("Status") or {}
        error = status.get("AthenaError") or {}
        reason = status.get("StateChangeReason") or error.get("ErrorMessage") or ""
        state = ATHENA_STATES.get(status.get("State", ""), "running")
        return QueryState(state, self._reason(reason) if state in ("failed", "cancelled") else "",
                          (execution.get("Statistics") or {}).get("DataScannedInBytes"))

    def results(self, query_id: str, limit: int) -> tuple[list[Event], bool]:
        rows = []
        for row in self._rows(query_id):
            if len(rows) == limit:
                return _events(rows), True
            rows.append(row)
        return _events(rows), False

    def _rows(self, query_id: str) -> Iterator[dict[str, str]]:
        client, header, params = self._client(), None, {"QueryExecutionId": query_id, "MaxResults": PAGE}
        while True:
            page = self._call("get_query_results", client, **params)
            for raw in (page.get("ResultSet") or {}).get("Rows", []):
                cells = [c.get("VarCharValue", "") for c in raw.get("Data", [])]
                if header is None:  # Athena's first row names the columns
                    header = [c.lower() for c in cells]
                    continue
                yield dict(zip(header, cells))
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]

    def cancel(self, query_id: str) -> None:
        self._call("stop_query_execution", self._client(), QueryExecutionId=query_id)


class LakeQueries(_Engine):
    engine, service = "lake", "cloudtrail"

    def __init__(self, sessions: AwsSessions, config: LakeConfig):
        self.sessions, self.config = sessions, config
        self.where = f"CloudTrail Lake event data store {config.store_id}"
        self.why_missing = (f"the event data store {config.store_id} (investigation.lake.event_data_store) does "
                            "not exist or is not enabled in that account and region")

    def _client(self):
        return self.sessions.client("cloudtrail", account=self.config.account, region=self.config.region,
                                    session_name="firebreak-investigate")

    def start(self, statement: Statement) -> str:
        return self._call("start_query", self._client(), QueryStatement=statement.sql)["QueryId"]

    def state(self, query_id: str) -> QueryState:
        found = self._call("describe_query", self._client(), QueryId=query_id)
        raw = found.get("QueryStatus", "")
        state = LAKE_STATES.get(raw, "running")
        reason = found.get("ErrorMessage") or ("CloudTrail Lake timed the query out" if raw == "TIMED_OUT" else "")
        return QueryState(state, self._reason(reason) if state in ("failed", "cancelled") else "",
                          (found.get("QueryStatistics") or {}).get("BytesScanned"))

    def results(self, query_id: str, limit: int) -> tuple[list[Event], bool]:
        client, rows, params = self._client(), [], {"QueryId": query_id, "MaxQueryResults": PAGE}
        while True:
            page = self._call("get_query_results", client, **params)
            for raw in page.get("QueryResultRows", []):
                if len(rows) == limit:
                    return _events(rows), True
                rows.append({k.lower(): str(v) for cell in raw for k, v in cell.items()})
            if not page.get("NextToken"):
                return _events(rows), False
            params["NextToken"] = page["NextToken"]

    def cancel(self, query_id: str) -> None:
        self._call("cancel_query", self._client(), QueryId=query_id)


def log_queries(sessions: AwsSessions, config) -> dict[str, Any]:
    """The engines `investigation:` configures (config: core.investigation.config.InvestigationConfig)."""
    engines: dict[str, Any] = {}
    if config.athena is not None:
        engines["athena"] = AthenaQueries(sessions, config.athena)
    if config.lake is not None:
        engines["lake"] = LakeQueries(sessions, config.lake)
    return engines
