"""The base and the field types shared by the configuration and playbook models."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

class Strict(BaseModel):
    """Config is data people write by hand: unknown keys are errors (typos surface), and a
    loaded model never changes afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SLACK_ID = re.compile(r"^[UWS][A-Z0-9]+$")


def slack_ids(ids: list[str]) -> list[str]:
    bad = [i for i in ids if not SLACK_ID.match(i)]
    if bad:
        raise ValueError(f"expected Slack user ids (U…/W…) or user-group ids (S…), got {bad}")
    return ids


# A list of Slack user ids (U…, W…) and user-group ids (S…), as config names people.
SlackIds = Annotated[list[str], AfterValidator(slack_ids)]
