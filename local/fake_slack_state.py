"""Saving and restoring the fake Slack workspace (local/fake_slack.py) between runs of the
local default, whose database outlives the process: users, channels and their members,
user groups and uploaded files, and the next id, so ids never repeat."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.fake_slack import FakeSlack


def save(fake: "FakeSlack", path) -> None:
    with fake._lock:
        files = {fid: {**record, "content": None if record.get("content") is None
                       else base64.b64encode(record["content"]).decode("ascii")}
                 for fid, record in fake.files.items()}
        state = {"users": fake.users, "usergroups": {k: sorted(v) for k, v in fake.usergroups.items()},
                 "files": files,
                 "next_id": next(fake._ids), "channels": [
                     {**{k: v for k, v in c.__dict__.items() if k != "members"}, "members": sorted(c.members)}
                     for c in fake.channels.values()]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def load(fake: "FakeSlack", path) -> bool:
    from local.fake_slack import Channel

    try:
        state = json.loads(Path(path).read_text())
        channels = {c["id"]: Channel(**{**c, "members": set(c["members"])}) for c in state["channels"]}
        users, next_id = state["users"], int(state["next_id"])
        files = {fid: {**record, "content": None if record.get("content") is None
                       else base64.b64decode(record["content"])}
                 for fid, record in state.get("files", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    with fake._lock:
        fake.files = files
        fake.users, fake.channels = users, channels
        fake.usergroups = {k: set(v) for k, v in state.get("usergroups", {}).items()}
        fake._ids = itertools.count(next_id)
    return True
