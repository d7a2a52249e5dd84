"""The `remediation:` configuration: how `/remediate patch-instance` patches (the SSM
document, reboot behaviour, how long it waits for the result), and whose images
replace-instance may launch from."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

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
    # Owners whose AMIs and snapshots replace-instance may launch a replacement from, besides
    # the account acted in: AWS account ids, or the aliases `amazon` (AWS's own images) and
    # `aws-marketplace`. Anything else (a community AMI, an image or snapshot another account
    # shared) is refused at plan time. iam/firebreak-policy.json's ec2:Owner condition lists the
    # same owners: add an id there too.
    image_owners: list[str] = Field(default_factory=lambda: ["amazon"])

    @field_validator("image_owners")
    @classmethod
    def _owner_ids(cls, value: list[str]) -> list[str]:
        wrong = [o for o in value if not (o in ("amazon", "aws-marketplace") or re.fullmatch(r"\d{12}", o))]
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: an owner is a 12-digit AWS account id, amazon or aws-marketplace")
        return value
