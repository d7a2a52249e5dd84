"""The `investigation:` section: which engine `/investigate` asks, and where the larger
estates keep their CloudTrail (an Athena table, a CloudTrail Lake event data store).

Off by default: without an `athena:` or `lake:` block only CloudTrail's LookupEvents
(management events, 90 days, one account per question) answers. The names below follow the
shipped IAM policy's naming convention (iam/README.md): Athena workgroups `firebreak*`,
CloudTrail tables `cloudtrail*`, query results under `s3://firebreak-athena-results-*`, so
a name the policy would refuse is an error here, not an AccessDenied during an incident."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from core.validators import Strict

SOURCES = ("cloudtrail", "athena", "lake")
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
ACCOUNT = r"^\d{12}$"


def _named(pattern: str, why: str):
    def check(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError(why)
        return value
    return AfterValidator(check)


Workgroup = Annotated[str, _named(r"firebreak[A-Za-z0-9._-]{0,119}", (
    "expected an Athena workgroup named firebreak… (e.g. firebreak-investigation): the shipped IAM policy "
    "runs queries in firebreak* workgroups only (iam/README.md)"))]
Table = Annotated[str, _named(r"cloudtrail[a-z0-9_]{0,245}", (
    "expected a CloudTrail table named cloudtrail… (lowercase letters, digits, _; e.g. cloudtrail_logs): the "
    "shipped IAM policy reads cloudtrail* tables only (iam/README.md)"))]
Database = Annotated[str, _named(r"[a-z0-9_]{1,255}", "expected a Glue database name (lowercase letters, digits, _)")]
Results = Annotated[str | None, _named(r"s3://firebreak-athena-results-[a-z0-9.-]{1,40}/.*", (
    "expected s3://firebreak-athena-results-…/prefix/: the shipped IAM policy writes Athena results to "
    "firebreak-athena-results-* buckets only (iam/README.md)"))]


class AthenaConfig(Strict):
    # The workgroup queries run in (the IAM policy allows firebreak* only).
    workgroup: Workgroup
    catalog: str = Field(default="AwsDataCatalog", pattern=r"^[A-Za-z0-9_-]{1,256}$")
    # The Glue database and the CloudTrail table (the standard CloudTrail table schema).
    database: Database
    table: Table
    # Where Athena writes results; null: the workgroup's own (enforced) output location.
    output_location: Results = None
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


def problems(config) -> list[tuple[tuple, str]]:
    """Names the section uses from another (the accounts whose role Firebreak assumes), with
    their key paths for check-config's file:line."""
    found = []
    for engine in ("athena", "lake"):
        block = getattr(config.investigation, engine)
        if block is not None and block.account is not None and block.account not in config.containment.accounts:
            found.append((("investigation", engine, "account"),
                          f"{block.account} is not in containment.accounts: Firebreak has no role to assume "
                          "there (add it, or leave account null to query from Firebreak's own account)"))
    return found
