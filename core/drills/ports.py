"""What drills need from outside core: the AWS sandbox, if this process's AWS calls go to one."""

from __future__ import annotations

from typing import Protocol


class Sandbox(Protocol):
    """The sandbox the composition root found (aws/sandbox.SandboxGuard)."""

    endpoint: str
    account: str
    region: str

    def placeholders(self) -> dict[str, str]:
        """`kind:name` -> id of what the sandbox holds (e.g. `instance:web-1`), plus account and region."""
        ...

    def not_in_use(self) -> str | None:
        """None while every AWS call of this process goes to the sandbox; else why not."""
        ...
