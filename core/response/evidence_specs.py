"""`/evidence`: collecting what an investigation and a court may need, before anything is
changed. Nothing here is undone: evidence is kept (its chain of custody says why)."""

from __future__ import annotations

from core.response.spec import INSTANCE, ActionSpec

PRINCIPAL_INSTANCE_OR_BUCKET = r"(?:arn:aws[a-z-]*:[\w+=,.@:/-]{1,1900}|[\w+=,.@-]{1,64}|" + INSTANCE + ")"

EVIDENCE_SPECS = (
    ActionSpec("collect-disk", "i-…", INSTANCE,
               "snapshot every volume (tagged with incident and request), copied encrypted where the source is, "
               "optionally shared with a forensics account", values=("share",), undoable=False, family="evidence"),
    ActionSpec("collect-memory", "i-…", INSTANCE,
               "memory acquisition through SSM Run Command into the evidence bucket", undoable=False,
               family="evidence"),
    ActionSpec("collect-instance-data", "i-…", INSTANCE,
               "metadata, security groups, roles, console output and tags as JSON into the evidence bucket",
               undoable=False, family="evidence"),
    ActionSpec("collect-logs", "<principal|instance|bucket>", PRINCIPAL_INSTANCE_OR_BUCKET,
               "the window's CloudTrail, VPC flow log and S3 access log objects copied into the evidence bucket",
               values=("hours",), undoable=False, family="evidence"),
)
