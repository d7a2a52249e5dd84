"""Triage messages and digests: their buttons, the dismiss form, and the notifier that posts them."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.findings import actions

    actions.register(jobs, services)
