"""The `remediation:` configuration: how `/remediate patch-instance` patches (the SSM
document, reboot behaviour, how long it waits for the result)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.validators import Strict


class RemediationConfig(Strict):
    # SSM document patch-instance runs. iam/firebreak-policy.json allows ssm:SendCommand of
    # AWS-RunPatchBaseline only: name another document there too if you change this.
    patch_document: str = Field(default="AWS-RunPatchBaseline", pattern=r"^[A-Za-z0-9_.:/-]{3,128}$")
    # AWS-RunPatchBaseline's RebootOption: RebootIfNeeded (patches take effect) or NoReboot.
    patch_reboot: Literal["RebootIfNeeded", "NoReboot"] = "RebootIfNeeded"
    # How long patch-instance waits for the command's result (polling with backoff) before it
    # reports the command still running; the command itself goes on in AWS.
    patch_wait_seconds: int = Field(default=600, ge=0, le=3600)
