"""Configuration: shipped defaults merged with the user's file, validated in one pass.

Every problem is reported with the file, the line, the key path and what was expected,
because an operator fixing config during an incident should not have to guess.
Secrets are deliberately not part of this model: they come from the environment only.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from core.audit.config import AuditConfig
from core.browser.config import UiConfig
from core.communications.config import CommunicationsConfig
from core.communications.config import problems as communications_problems
from core.errors import ConfigError
from core.findings.config import (DEFAULT_SEVERITY_MAP, DigestConfig, IntakeConfig, QueueConfig, Route,
                                  SecurityHubPollConfig, VulnerabilitiesConfig)
from core.findings.config import AttackSequenceConfig
from core.containment.config import ContainmentConfig
from core.containment.remediation_config import RemediationConfig
from core.evidence.config import EvidenceConfig
from core.incidents.config import IncidentsConfig
from core.investigation.config import InvestigationConfig
from core.investigation.config import problems as investigation_problems
from core.validators import SlackIds, Strict
from core.reports.config import ReportsConfig
from core.scheduling.config import SchedulingConfig
from core.yaml_lines import dotted, load_with_lines, locate, syntax_problem

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "default.yaml"
SECRET_WORDS = ("token", "secret", "password")


class SlackConfig(Strict):
    announce_channel: str = Field(min_length=1)
    triage_channel: str = Field(min_length=1)
    # The one workspace (T…) or Enterprise Grid org (E…) allowed to use the bot; None: any.
    team_id: str | None = Field(default=None, pattern=r"^[TE][A-Z0-9]{2,20}$")
    # Other workspaces (T…) or orgs (E…) whose people may use the bot, e.g. a partner's over
    # Slack Connect. Anyone else's users are refused even inside team_id's shared channels.
    allowed_teams: list[Annotated[str, Field(pattern=r"^[TE][A-Z0-9]{2,20}$")]] = Field(default_factory=list)
    # How long a user group's members are remembered for permission checks.
    group_cache_seconds: int = Field(default=300, ge=0, le=3600)
    # Longest wait between two tries of the start-up check while Slack fails (1, 2, 4, … s).
    startup_retry_max_seconds: float = Field(default=30.0, ge=1.0, le=300.0)
    # Each Web API method within its Slack tier per minute across the deployment (PostgreSQL).
    method_tiers: bool = True


class FindingsConfig(Strict):
    cloudtrail_rules: str = Field(min_length=1)
    routes: list[Route] = Field(default_factory=list)
    severity_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    digest: DigestConfig = Field(default_factory=DigestConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    intake: IntakeConfig = Field(default_factory=IntakeConfig)
    securityhub_poll: SecurityHubPollConfig = Field(default_factory=SecurityHubPollConfig)
    attack_sequences: AttackSequenceConfig = Field(default_factory=AttackSequenceConfig)
    vulnerabilities: VulnerabilitiesConfig = Field(default_factory=VulnerabilitiesConfig)

    @property
    def cloudtrail_rules_path(self) -> Path:
        path = Path(self.cloudtrail_rules)
        return path if path.is_absolute() else PROJECT_ROOT / path


class PostmortemConfig(Strict):
    # Besides the incident channel, keep each postmortem document in S3 (null: don't).
    s3_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    s3_prefix: str = "postmortems/"


class PlaybooksConfig(Strict):
    directory: str = Field(min_length=1)
    auto_attach: bool

    @property
    def path(self) -> Path:
        path = Path(self.directory)
        return path if path.is_absolute() else PROJECT_ROOT / path


class AccessConfig(Strict):
    responders: SlackIds = Field(default_factory=list)


class ServerConfig(Strict):
    host: str
    port: int = Field(ge=0, le=65535)
    threads: int = Field(ge=1, le=256)
    # Limits that keep slow or greedy clients from taking the server down (see default.yaml).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    connection_limit: int = Field(default=500, ge=10, le=10000)
    channel_timeout_seconds: int = Field(default=30, ge=1, le=3600)
    # The whole request (headers and body) must arrive within this, however it trickles.
    request_timeout_seconds: int = Field(default=10, ge=1, le=600)
    # /metrics (and a second /healthz) on their own listener; metrics_port null: /metrics on the main port.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=9464, ge=0, le=65535)
    # The reverse proxy's address (TLS in front): its X-Forwarded-For/-Proto are believed,
    # so per-address limits (the browser view's sign-in) see each client. null: nobody's.
    trusted_proxy: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:]+$")

    def warnings(self) -> list[str]:
        """What `check-config` says about exposure (each names its setting)."""
        loopback = ("127.0.0.1", "::1", "localhost")
        if self.metrics_port is None and self.host not in loopback:
            return [f"server.metrics_port is null: /metrics is served on the main port, on {self.host} "
                    "(anyone who reaches the bot sees its request counts). Give metrics their own port."]
        if self.metrics_port is not None and self.metrics_host not in loopback:
            return [f"server.metrics_host is {self.metrics_host}: /metrics is reachable beyond this machine "
                    f"(port {self.metrics_port}); keep it on a private network."]
        return []


class AwsConfig(Strict):
    default_region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    retry_mode: Literal["legacy", "standard", "adaptive"]
    max_attempts: int = Field(ge=1, le=20)


class LocalConfig(Strict):
    users: list[str] = Field(min_length=2)
    channels: list[str] = Field(min_length=1)


class Config(Strict):
    bot_name: str
    slack: SlackConfig
    incidents: IncidentsConfig
    findings: FindingsConfig
    playbooks: PlaybooksConfig
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    scheduling: SchedulingConfig
    containment: ContainmentConfig
    remediation: RemediationConfig = Field(default_factory=RemediationConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    communications: CommunicationsConfig = Field(default_factory=CommunicationsConfig)
    investigation: InvestigationConfig = Field(default_factory=InvestigationConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    access: AccessConfig
    server: ServerConfig
    aws: AwsConfig
    local: LocalConfig


@dataclass(frozen=True)
class Secrets:
    """Credentials and endpoints read from the environment only."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    database_url: str | None = None
    audit_key: str | None = None  # FIREBREAK_AUDIT_KEY: the audit chain's HMAC key
    ui_secret_key: str | None = None  # FIREBREAK_UI_SECRET_KEY: signs the browser view's session cookies
    oidc_client_secret: str | None = None  # FIREBREAK_OIDC_CLIENT_SECRET: the browser view's OIDC client

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> "Secrets":
        env = os.environ if environ is None else environ
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            database_url=env.get("DATABASE_URL") or None,
            audit_key=env.get("FIREBREAK_AUDIT_KEY") or None,
            ui_secret_key=env.get("FIREBREAK_UI_SECRET_KEY") or None,
            oidc_client_secret=env.get("FIREBREAK_OIDC_CLIENT_SECRET") or None,
        )

    def __repr__(self) -> str:  # never print a token by accident
        shown = {k: ("***" if v and k != "slack_api_url" else v) for k, v in self.__dict__.items()}
        return f"Secrets({shown})"


@dataclass
class Settings:
    config: Config
    secrets: Secrets
    sources: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------- loading


@dataclass
class _Source:
    path: Path
    data: dict
    lines: dict[tuple, int]

    def locate(self, key_path: tuple) -> int | None:
        return locate(self.lines, key_path)


def _read_yaml(path: Path) -> _Source:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        raise ConfigError([syntax_problem(path, exc)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: expected a mapping of settings at the top level, got {type(data).__name__}"])
    return _Source(path, data, lines)


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _secret_keys(data: Any, path: tuple = ()) -> list[tuple]:
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and any(word in key.lower() for word in SECRET_WORDS):
                found.append(path + (key,))
            found.extend(_secret_keys(value, path + (key,)))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            found.extend(_secret_keys(item, path + (i,)))
    return found


def _owner(sources: list[_Source], path: tuple) -> _Source:
    """The file that supplied the value at `path` (the user's file wins)."""
    for source in reversed(sources):
        node: Any = source.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                break
        else:
            return source
    return sources[-1]


def load_config(user_path: str | Path | None = None) -> tuple[Config, list[Path]]:
    """Load default.yaml merged with `user_path`; raise ConfigError listing every problem."""
    sources = [_read_yaml(DEFAULT_CONFIG)]
    if user_path:
        sources.append(_read_yaml(Path(user_path)))
    problems = []
    secret_paths = set()
    for source in sources[1:]:
        for path in _secret_keys(source.data):
            secret_paths.add(path)
            problems.append(
                f"{source.path}:{source.locate(path)}: {dotted(path)}: secrets are read from the "
                "environment only (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, DATABASE_URL, "
                "FIREBREAK_AUDIT_KEY)"
            )
    merged: dict = {}
    for source in sources:
        merged = _merge(merged, source.data)
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            if err["type"] == "extra_forbidden" and loc in secret_paths:
                continue
            source = _owner(sources, loc)
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key (check spelling; see config/default.yaml for the keys)"
            elif err["type"] == "missing":
                message = "required key is missing"
            got = err.get("input")
            if err["type"] not in ("extra_forbidden", "missing") and not isinstance(got, (dict, list)):
                message += f" (got {got!r})"
            problems.append(f"{source.path}:{source.locate(loc)}: {dotted(loc)}: {message}")
    else:  # names one section uses from another (audiences, severities, categories), with their lines
        for loc, message in communications_problems(config) + investigation_problems(config):
            source = _owner(sources, loc)
            problems.append(f"{source.path}:{source.locate(loc)}: {dotted(loc)}: {message}")
    if problems:
        raise ConfigError(problems)
    return config, [s.path for s in sources]


def load_settings(user_path: str | Path | None = None, environ: dict | None = None) -> Settings:
    env = os.environ if environ is None else environ
    path = user_path or env.get("FIREBREAK_CONFIG") or None
    config, paths = load_config(path)
    return Settings(config=config, secrets=Secrets.from_env(env), sources=paths)
