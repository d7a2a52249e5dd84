"""What containment needs from the outside: the action catalog (AWS, in aws/actions) and a
board that shows each request's card in chat (Slack, in handlers/containment)."""

from __future__ import annotations

from typing import Protocol

from core.containment.catalog import Catalog
from core.containment.model import ContainRequest

__all__ = ["Board", "Catalog"]


class Board(Protocol):
    def publish(self, request: ContainRequest, fallback_channel: str | None = None) -> None:
        """Post the request's card once, then edit that message as the request moves on."""
