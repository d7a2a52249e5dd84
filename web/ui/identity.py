"""Who is signed in: the Slack user id their sign-in was linked to, so that every rule
Slack applies (responders, private incidents, approvers) applies in the browser too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping


class NotLinked(Exception):
    """The sign-in cannot be tied to a Slack account; `reason` is shown to the person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Person:
    user_id: str  # Slack's U…
    name: str


def from_oidc(claims: Mapping, user_by_email: Callable[[str], str | None]) -> Person:
    """The identity provider's claims (ID token / userinfo) → the Slack user with that email.
    Only an email the provider says it verified links: anyone can type an address."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise NotLinked("Your identity provider did not send an email address (ask for the `email` scope).")
    if claims.get("email_verified") is not True:
        raise NotLinked(f"Your identity provider has not verified {email}, so it cannot be linked to Slack.")
    user_id = user_by_email(email)
    if not user_id:
        raise NotLinked(f"No Slack account in this workspace has the email {email}.")
    return Person(user_id, str(claims.get("name") or email))


def from_local(name: str, people: Mapping[str, str]) -> Person:
    """The local workspace's login: one of its people, by name (no password: loopback only)."""
    if name not in people:
        raise NotLinked(f"There is no one called {name[:40]!r} in the local workspace.")
    return Person(people[name], name)
