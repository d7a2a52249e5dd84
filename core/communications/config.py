"""The `communications:` section: the stakeholder plan (who is told what, when), how each
audience is reached, paging, and regulatory notification clocks.

Everything is off until configured: no audiences means nothing is sent. Names used across
the section (audiences in rules, severities, categories) are checked by `problems()`, which
returns key paths so that `check-config` can point at the file and line."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from core.validators import SlackIds, Strict

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CHANNEL = re.compile(r"^([CG][A-Z0-9]{2,}|#?[a-z0-9][a-z0-9._-]{0,79})$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$")
HTTP_URL = re.compile(r"^https?://[^\s]+$")
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


def _channels(values: list[str]) -> list[str]:
    bad = [v for v in values if not CHANNEL.match(v)]
    if bad:
        raise ValueError(f"expected Slack channel ids (C…/G…) or names (#security-leads), got {bad}")
    return values


Channels = Annotated[list[str], AfterValidator(_channels)]


def _env(value: str | None) -> str | None:
    if value is not None and not ENV_NAME.match(value):
        raise ValueError("expected the NAME of an environment variable (capitals, digits, _), e.g. "
                         "FIREBREAK_PAGERDUTY_SECURITY; the value itself never goes into a file")
    return value


EnvName = Annotated[str, AfterValidator(_env)]


class PagerConfig(Strict):
    """A paging service. PagerDuty's routing key and a webhook's Authorization header are
    read from the environment variable named here, never from the file."""

    type: Literal["pagerduty", "webhook"]
    # pagerduty: the Events API v2 integration key's variable.
    routing_key_env: EnvName | None = None
    events_url: str = PAGERDUTY_EVENTS_URL
    # webhook: where the JSON is POSTed, and optionally the variable holding an Authorization header.
    url: str | None = None
    auth_header_env: EnvName | None = None
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    attempts: int = Field(default=4, ge=1, le=10)  # tries per event, with exponential backoff

    @field_validator("events_url", "url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not HTTP_URL.match(value):
            raise ValueError("expected an http(s) URL")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "PagerConfig":
        if self.type == "pagerduty" and not self.routing_key_env:
            raise ValueError("a pagerduty pager needs routing_key_env (the variable holding the integration key)")
        if self.type == "webhook" and not self.url:
            raise ValueError("a webhook pager needs url")
        return self


class Audience(Strict):
    description: str = ""
    slack_channels: Channels = Field(default_factory=list)  # posted in
    slack_users: SlackIds = Field(default_factory=list)  # U…: direct messages; S… (groups): each member
    sns_topic_arn: str | None = None  # email (or anything else subscribed) through SNS
    pager: PagerConfig | None = None  # /incident page <audience>, rules with page: true, SLA escalation
    # A private incident's title and description are withheld from this audience unless true.
    may_see_private: bool = False

    @field_validator("sns_topic_arn")
    @classmethod
    def _topic(cls, arn: str | None) -> str | None:
        if arn is not None and not SNS_TOPIC.match(arn):
            raise ValueError("expected an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:firebreak-mgmt")
        return arn

    @property
    def reachable(self) -> bool:
        return bool(self.slack_channels or self.slack_users or self.sns_topic_arn)


class Rule(Strict):
    """Tell `notify` when one of `when` happens to an incident of these severities and categories
    (empty: any). For `severity`, the new severity is the one matched."""

    when: list[Literal["declared", "severity", "status_update", "resolved"]] = Field(min_length=1)
    severities: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    page: list[str] = Field(default_factory=list)  # audiences paged (their pager) at declared/severity

    def matches(self, trigger: str, severity: str, category: str) -> bool:
        return (trigger in self.when and (not self.severities or severity in self.severities)
                and (not self.categories or category in self.categories))


class RegulatoryClock(Strict):
    """A notification deadline. Examples only: NOT LEGAL ADVICE."""

    regime: str = Field(pattern=NAME.pattern)  # what `/incident notified <regime>` names
    name: str = Field(min_length=1, max_length=150)
    categories: list[str] = Field(min_length=1)
    # awareness: when the incident has one of the categories (declared so, or changed to it);
    # determination: when someone runs `/incident determined <regime>` (e.g. materiality).
    start: Literal["awareness", "determination"] = "awareness"
    deadline_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    business_days: int | None = Field(default=None, ge=1, le=60)  # Monday–Friday, no holiday calendar
    remind_before_hours: list[int] = Field(default_factory=lambda: [24, 4])
    notify: list[str] = Field(default_factory=list)  # audiences reminded besides the incident channel

    @model_validator(mode="after")
    def _one_deadline(self) -> "RegulatoryClock":
        if (self.deadline_hours is None) == (self.business_days is None):
            raise ValueError("give exactly one of deadline_hours and business_days")
        return self


class RegulatoryConfig(Strict):
    enabled: bool = False
    clocks: list[RegulatoryClock] = Field(default_factory=list)


SUPPORT_SEVERITIES = ("low", "normal", "high", "urgent", "critical")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ACCOUNT = re.compile(r"^\d{12}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def _emails(values: list[str]) -> list[str]:
    bad = [v for v in values if not EMAIL.match(v) or len(v) > 254]
    if bad:
        raise ValueError(f"expected email addresses like secops@example.com, got {bad}")
    return values


Emails = Annotated[list[str], AfterValidator(_emails)]


class AwsSupportConfig(Strict):
    """`/incident aws-support`: an AWS Support case (a Business, Enterprise On-Ramp or Enterprise
    Support plan is needed for the API; it answers in us-east-1 only). Off until enabled."""

    enabled: bool = False
    # `aws support describe-services` lists the codes; general-info / using-aws fit any account.
    service_code: str = "general-info"
    category_code: str = "using-aws"
    language: Literal["en", "ja", "zh", "ko"] = "en"
    issue_type: Literal["technical", "customer-service"] = "technical"
    default_severity: Literal["low", "normal", "high", "urgent", "critical"] = "normal"
    cc_emails: Emails = Field(default_factory=list, max_length=10)  # copied on the case's correspondence
    # A private incident's case copies nobody unless true (as an audience's may_see_private).
    cc_may_see_private: bool = False
    timeline_entries: int = Field(default=15, ge=0, le=100)  # the latest entries sent with the case
    resolve_on_resolution: bool = False  # ResolveCase when the incident is resolved, cancelled or closed
    poll_seconds: int = Field(default=300, ge=30, le=86400)  # DescribeCommunications of each open case

    @field_validator("service_code", "category_code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError("expected an AWS Support code in lower case, e.g. general-info or using-aws "
                             "(`aws support describe-services` lists them)")
        return value


class Watcher(Strict):
    email: str
    name: str | None = Field(default=None, min_length=1, max_length=50)
    job_title: str | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _emails([value])[0]


class AwsIrConfig(Strict):
    """`/incident aws-ir`: a case with AWS Security Incident Response (a membership is needed).
    Off until enabled."""

    enabled: bool = False
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")  # null: aws.default_region
    # Self: your own team works the case; AWS: AWS's Customer Incident Response Team does.
    resolver_type: Literal["Self", "AWS"] = "Self"
    engagement_type: Literal["Security Incident", "Investigation"] = "Security Incident"
    watchers: list[Watcher] = Field(default_factory=list, max_length=30)  # told of the case by AWS
    # A private incident's case names no watcher unless true (as an audience's may_see_private).
    watchers_may_see_private: bool = False
    # Empty: the accounts of the incident's findings.
    impacted_accounts: list[str] = Field(default_factory=list, max_length=200)
    poll_seconds: int = Field(default=300, ge=30, le=86400)  # comments both ways, and the case status

    @field_validator("impacted_accounts")
    @classmethod
    def _accounts(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not ACCOUNT.match(str(v))]
        if bad:
            raise ValueError(f"expected 12-digit AWS account ids (quote them in YAML), got {bad}")
        return values


class CommunicationsConfig(Strict):
    audiences: dict[str, Audience] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    # Whose pager `/incident page @user` uses (the person is named in the page); null: DM only.
    user_pager: str | None = None
    regulatory: RegulatoryConfig = Field(default_factory=RegulatoryConfig)
    aws_support: AwsSupportConfig = Field(default_factory=AwsSupportConfig)
    aws_ir: AwsIrConfig = Field(default_factory=AwsIrConfig)
    # Failed automatic notifications are sent again after a backoff (doubling from this, capped
    # at an hour) up to `retry_attempts` more times; /incident stakeholders shows the rest.
    retry_seconds: int = Field(default=60, ge=10, le=3600)
    retry_attempts: int = Field(default=5, ge=0, le=20)

    @field_validator("audiences", mode="before")
    @classmethod
    def _names(cls, audiences):
        bad = [name for name in audiences if not NAME.match(str(name))] if isinstance(audiences, dict) else []
        if bad:
            raise ValueError(f"audience names are lower-case words (a-z, 0-9, -, _), got {bad}")
        return audiences

    def due(self, trigger: str, severity: str, category: str) -> tuple[list[str], list[str]]:
        """(audiences to notify, audiences to page) for this trigger, in plan order, no repeats."""
        notify: dict[str, None] = {}
        page: dict[str, None] = {}
        for rule in self.rules:
            if rule.matches(trigger, severity, category):
                notify.update(dict.fromkeys(rule.notify))
                if trigger in ("declared", "severity"):
                    page.update(dict.fromkeys(rule.page))
        return list(notify), list(page)

    def clocks_for(self, category: str) -> list[RegulatoryClock]:
        if not self.regulatory.enabled:
            return []
        return [c for c in self.regulatory.clocks if category in c.categories]

    def clock(self, regime: str) -> RegulatoryClock | None:
        return next((c for c in self.regulatory.clocks if c.regime == regime), None)


def problems(config) -> list[tuple[tuple, str]]:
    """(key path, problem) for names this section uses that do not exist: audiences in rules,
    severities and categories of `incidents`, duplicate regimes, escalation audiences."""
    comms: CommunicationsConfig = config.communications
    severities, categories = config.incidents.severity_names, config.incidents.categories
    audiences = set(comms.audiences)
    found: list[tuple[tuple, str]] = []
    base = ("communications",)

    def audience_refs(path: tuple, names: list[str], pager: bool = False) -> None:
        for i, name in enumerate(names):
            if name not in audiences:
                found.append((path + (i,), f"unknown audience {name!r}; audiences are {sorted(audiences)}"))
            elif pager and comms.audiences[name].pager is None:
                found.append((path + (i,), f"audience {name!r} has no pager"))

    for r, rule in enumerate(comms.rules):
        path = base + ("rules", r)
        audience_refs(path + ("notify",), rule.notify)
        audience_refs(path + ("page",), rule.page, pager=True)
        for i, severity in enumerate(rule.severities):
            if severity not in severities:
                found.append((path + ("severities", i), f"unknown severity {severity!r}; severities are {severities}"))
        for i, category in enumerate(rule.categories):
            if category not in categories:
                found.append((path + ("categories", i), f"unknown category {category!r}; categories are {categories}"))
        if rule.page and not {"declared", "severity"} & set(rule.when):
            found.append((path + ("page",), "paging happens at `declared` or `severity` only; add one to `when`"))
    for name, audience in comms.audiences.items():
        if not audience.reachable and audience.pager is None:
            found.append((base + ("audiences", name), "no way to reach this audience: give slack_channels, "
                                                       "slack_users, sns_topic_arn or pager"))
    if comms.user_pager is not None:
        audience_refs(base + ("user_pager",), [comms.user_pager], pager=True)
        if found and found[-1][0] == base + ("user_pager", 0):
            found[-1] = (base + ("user_pager",), found[-1][1])
    seen: set[str] = set()
    for c, clock in enumerate(comms.regulatory.clocks):
        path = base + ("regulatory", "clocks", c)
        if clock.regime in seen:
            found.append((path + ("regime",), f"regime {clock.regime!r} appears twice"))
        seen.add(clock.regime)
        for i, category in enumerate(clock.categories):
            if category not in categories:
                found.append((path + ("categories", i), f"unknown category {category!r}; categories are {categories}"))
        audience_refs(path + ("notify",), clock.notify)
    escalation = getattr(config.scheduling.escalation, "page", [])
    for i, name in enumerate(escalation):
        if name not in audiences:
            found.append((("scheduling", "escalation", "page", i),
                          f"unknown audience {name!r}; audiences are {sorted(audiences)}"))
        elif comms.audiences[name].pager is None:
            found.append((("scheduling", "escalation", "page", i), f"audience {name!r} has no pager"))
    return found


def warnings(comms: CommunicationsConfig) -> list[str]:
    """What check-config says about the section without refusing it."""
    found = []
    for name, audience in comms.audiences.items():
        if audience.sns_topic_arn and not audience.sns_topic_arn.rsplit(":", 1)[-1].startswith("firebreak-"):
            found.append(f"communications.audiences.{name}.sns_topic_arn names a topic not called firebreak-…: the "
                         "shipped IAM policy (PublishStakeholderEmailToFirebreakTopics) lets Firebreak publish only to "
                         "topics named firebreak-*, so email to this audience would be refused. Rename the topic or "
                         "widen that statement.")
    return found
