"""The `investigation:` section: which engine `/investigate` asks, and where the larger
estates keep their CloudTrail (an Athena table, a CloudTrail Lake event data store).

Off by default: without an `athena:` or `lake:` block only CloudTrail's LookupEvents
(management events, 90 days, one account per question) answers. The names below follow the
shipped IAM policy's naming convention (iam/README.md): Athena workgroups `firebreak*`,
CloudTrail tables `cloudtrail*`, query results under `s3://firebreak-athena-results-*`, so
a name the policy would refuse is an error here, not an AccessDenied during an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from core.validators import Strict

SOURCES = ("cloudtrail", "athena", "lake")
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
ACCOUNT = r"^\d{12}$"


class AthenaConfig(Strict):
    # The workgroup queries run in (the IAM policy allows firebreak* only).
    workgroup: str = Field(pattern=r"^firebreak[A-Za-z0-9._-]{0,119}$")
    catalog: str = Field(default="AwsDataCatalog", pattern=r"^[A-Za-z0-9_-]{1,256}$")
    # The Glue database and the CloudTrail table (the standard CloudTrail table schema).
    database: str = Field(pattern=r"^[a-z0-9_]{1,255}$")
    table: str = Field(pattern=r"^cloudtrail[a-z0-9_]{0,245}$")
    # Where Athena writes results; null: the workgroup's own (enforced) output location.
    output_location: str | None = Field(default=None, pattern=r"^s3://firebreak-athena-results-[a-z0-9.-]{1,40}/.*$")
    # Where the workgroup is: region (null: aws.default_region) and account (null:
    # Firebreak's own; else one of containment.accounts, whose role Firebreak assumes).
    region: str | None = Field(default=None, pattern=REGION)
    account: str | None = Field(default=None, pattern=ACCOUNT)


class LakeConfig(Strict):
    # The event data store's ARN or id (its id is what the query's FROM names).
    event_data_store: str = Field(
        pattern=r"^(arn:aws[a-z-]*:cloudtrail:[a-z]{2}(-[a-z]+)+-\d:\d{12}:eventdatastore/)?[A-Za-z0-9-]{1,64}$")
    region: str | None = Field(default=None, pattern=REGION)
    account: str | None = Field(default=None, pattern=ACCOUNT)

    @property
    def store_id(self) -> str:
        return self.event_data_store.rsplit("/", 1)[-1]


class InvestigationConfig(Strict):
    # The engine used without --source: cloudtrail (LookupEvents), athena or lake.
    default_source: Literal["cloudtrail", "athena", "lake"] = "cloudtrail"
    # The SQL query pack: <queries>/athena/<subject>.sql and <queries>/lake/<subject>.sql.
    queries: str = Field(default="config/queries", min_length=1)
    # A running query is polled after poll_seconds, then twice as long each time up to
    # poll_max_seconds; after timeout_seconds Firebreak cancels it and says so.
    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    poll_max_seconds: float = Field(default=10.0, gt=0, le=300)
    timeout_seconds: float = Field(default=300, gt=0, le=3600)
    # Rows one answer reads; more are reported as truncated (narrow --hours).
    max_results: int = Field(default=5000, ge=1, le=100000)
    athena: AthenaConfig | None = None
    lake: LakeConfig | None = None

    @property
    def queries_path(self) -> Path:
        path = Path(self.queries)
        return path if path.is_absolute() else Path(__file__).resolve().parents[2] / path

    def enabled(self) -> tuple[str, ...]:
        return ("cloudtrail",) + tuple(s for s in ("athena", "lake") if getattr(self, s) is not None)

    @model_validator(mode="after")
    def _consistent(self) -> "InvestigationConfig":
        if self.default_source not in self.enabled():
            raise ValueError(f"default_source is {self.default_source} but there is no investigation."
                             f"{self.default_source} block configuring it")
        if self.poll_max_seconds < self.poll_seconds:
            raise ValueError("poll_max_seconds must be at least poll_seconds")
        engines = [s for s in ("athena", "lake") if getattr(self, s) is not None]
        if engines:
            from core.investigation.pack import PackError, load

            try:
                load(self.queries_path, engines)
            except PackError as exc:
                raise ValueError(f"the query pack is broken: {exc}") from None
        return self
