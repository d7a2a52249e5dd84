"""The one place that makes boto3 clients.

Every client gets the configured region and botocore retry mode, so a throttled API
during an incident is retried the same way everywhere. Cross-account access is STS
AssumeRole with credentials cached until shortly before they expire, because an
incident fans out many calls to the same account. boto3's own chain (AWS_ENDPOINT_URL,
AWS_DEFAULT_REGION, profiles, instance roles) stays in charge, which is also how tests
point clients at moto; only when the composition root starts the AWS sandbox itself (the
local workspace without credentials) does it hand in the endpoint and the sandbox's
credentials explicitly (`AwsEndpoint`), instead of writing them into the environment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

from aws.errors import aws_errors
from core.errors import UsageError

ROLE_SESSION_NAME = "firebreak"
ROLE_DURATION_SECONDS = 3600
REFRESH_MARGIN = timedelta(minutes=5)
USER_AGENT = "firebreak"
MAX_CLIENTS = 128  # kept clients; an assumed role's session (one per request) makes new ones


class AwsSettings(Protocol):
    default_region: str
    retry_mode: str
    max_attempts: int


@dataclass(frozen=True)
class AccountRole:
    """The role Firebreak assumes to act in another account."""

    role_arn: str
    external_id: str | None = None


@dataclass(frozen=True)
class _Credentials:
    access_key: str
    secret_key: str
    token: str
    expires: datetime

    def __repr__(self) -> str:  # never log a secret by accident
        return f"_Credentials(access_key={self.access_key!r}, expires={self.expires.isoformat()})"


@dataclass(frozen=True)
class AwsEndpoint:
    """Where every call goes and with which credentials, when the root decides it (the AWS
    sandbox it started); never set from the environment, which boto3 reads itself."""

    url: str
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never log a secret by accident
        return f"AwsEndpoint(url={self.url!r}, access_key={self.access_key!r})"


class UnknownAccount(UsageError):
    """An account that is neither configured (a role to assume) nor Firebreak's own. Refused
    here, where every client is made, so no caller can quietly ask its own account instead
    and label the answer with the account that was named."""


def _role(value: Any) -> AccountRole:
    """Accept (role_arn, external_id), a bare role ARN, or anything with .role_arn."""
    if isinstance(value, AccountRole):
        return value
    if isinstance(value, str):
        return AccountRole(value)
    if isinstance(value, (tuple, list)):
        return AccountRole(*value)
    return AccountRole(value.role_arn, getattr(value, "external_id", None))


# One reader of botocore's service models for the whole process. Each new boto3 Session
# otherwise reads and parses every model it uses again (EC2's alone is several MB of JSON,
# about 30 ms), so every assumed-role account, every bot built in one process (the local
# workspace's restarts, the tests) and the sandbox's seeding paid for it again. botocore
# treats loaded models as read-only, and its loader caches by file, so sharing it is safe.
_SERVICE_MODELS = botocore.loaders.create_loader()


def new_session(**kwargs: Any) -> boto3.session.Session:
    """A boto3 Session of its own (credentials, region), reading models through the shared loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _SERVICE_MODELS)
    return boto3.session.Session(botocore_session=core, **kwargs)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AwsSessions:
    """Builds boto3 clients for the default account or an assumed role in another one."""

    def __init__(
        self,
        config: AwsSettings,
        accounts: Mapping[str, Any] | None = None,
        *,
        now: Callable[[], datetime] = _utcnow,
        sts_client_factory: Callable[[], Any] | None = None,
        endpoint: AwsEndpoint | None = None,
    ):
        self.default_region = config.default_region
        self.endpoint = endpoint
        self.accounts = {str(k): _role(v) for k, v in (accounts or {}).items()}
        self._now = now
        self._botocore_config = Config(
            # botocore's max_attempts counts retries only; total_max_attempts counts the
            # first try too, which is what `max_attempts` means in ~/.aws/config and here.
            retries={"mode": config.retry_mode, "total_max_attempts": config.max_attempts},
            user_agent_extra=USER_AGENT,
            # A chosen endpoint is the sandbox on loopback: no proxy from the environment in between.
            **({"proxies": {}} if endpoint is not None else {}),
        )
        self._sts_client_factory = sts_client_factory or (lambda: self.client("sts"))
        # boto3 sessions are not thread-safe; clients are. Guard client creation only. Clients
        # are kept (per service, region and credentials) and shared: building one costs 6-25 ms
        # of CPU (EC2's ~20), several per containment run. Nothing may hook a shared client's
        # events for one job of its own (actions report their calls in ActionContext.call).
        self._session = new_session(
            **({"aws_access_key_id": endpoint.access_key, "aws_secret_access_key": endpoint.secret_key}
               if endpoint is not None else {}))
        self._clients: OrderedDict[tuple, Any] = OrderedDict()
        self._session_lock = threading.Lock()
        self._cache: dict[str, _Credentials] = {}
        self._account_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._own: str | None = None
        self._own_lock = threading.Lock()

    def own_account(self) -> str:
        """The account of Firebreak's own credentials (STS GetCallerIdentity, asked once)."""
        with self._own_lock:
            if self._own is None:
                with aws_errors("sts"):
                    self._own = str(self.client("sts").get_caller_identity()["Account"])
            return self._own

    def client(self, service: str, *, account: str | None = None, region: str | None = None,
               session_name: str | None = None) -> Any:
        """A client for `service`; assumes the mapped role when `account` is configured, uses
        Firebreak's own credentials when it is Firebreak's own account (or None), and refuses
        any other account (UnknownAccount).
        `session_name` names the assumed-role session (e.g. the containment request), so
        CloudTrail in the target account attributes each call to it."""
        kwargs: dict[str, Any] = {}
        account = str(account) if account else None  # no account named: Firebreak's own
        if account is not None and account not in self.accounts and account != self.own_account():
            raise UnknownAccount(f"Account {account} is not configured (containment.accounts has "
                                 f"{', '.join(sorted(self.accounts)) or 'none'}) and is not Firebreak's own "
                                 f"({self.own_account()}): nothing was asked of AWS.")
        if account is not None and account in self.accounts:
            with aws_errors("sts"):  # an AssumeRole refusal reads as such in Slack
                creds = self._credentials(str(account), session_name or ROLE_SESSION_NAME)
            kwargs = {
                "aws_access_key_id": creds.access_key,
                "aws_secret_access_key": creds.secret_key,
                "aws_session_token": creds.token,
            }
        if self.endpoint is not None:
            kwargs["endpoint_url"] = self.endpoint.url
        region = region or self.default_region
        key = (service, region, kwargs.get("aws_access_key_id"))
        with self._session_lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(service, region_name=region, config=self._botocore_config, **kwargs)
                self._clients[key] = client
                while len(self._clients) > MAX_CLIENTS:
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(key)
            return client

    def _credentials(self, account: str, session_name: str) -> _Credentials:
        with self._locks_lock:
            lock = self._account_locks.setdefault(account, threading.Lock())
        key = f"{account}/{session_name}"
        with lock:  # one AssumeRole per account at a time; other accounts are not blocked
            cached = self._cache.get(key)
            if cached is not None and self._now() < cached.expires - REFRESH_MARGIN:
                return cached
            fresh = self._assume(self.accounts[account], session_name)
            self._cache[key] = fresh
            return fresh

    def _assume(self, role: AccountRole, session_name: str) -> _Credentials:
        params: dict[str, Any] = {
            "RoleArn": role.role_arn,
            "RoleSessionName": session_name,
            "DurationSeconds": ROLE_DURATION_SECONDS,
        }
        if role.external_id:
            params["ExternalId"] = role.external_id
        creds = self._sts_client_factory().assume_role(**params)["Credentials"]
        return _Credentials(
            creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], creds["Expiration"]
        )
