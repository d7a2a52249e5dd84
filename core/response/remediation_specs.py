"""`/remediate`: eradication and recovery. Each states its preconditions (checked by core
before any AWS call, and again by AWS's own state in the plan) and refuses clearly when
they are not met."""

from __future__ import annotations

from core.response.spec import INSTANCE, ActionSpec

REMEDIATION_SPECS = (
    ActionSpec("delete-access-key", "AKIA…", r"(?:AKIA|ASIA)[A-Z0-9]{12,124}",
               "delete a key that is already disabled, once evidence is recorded", undoable=False,
               family="remediate", requires=("evidence-recorded",)),
    ActionSpec("delete-login-profile", "<user name>", r"[\w+=,.@-]{1,64}",
               "remove the user's console password", undoable=False, family="remediate"),
    ActionSpec("patch-instance", "i-…", INSTANCE, "SSM AWS-RunPatchBaseline (Install), status polled",
               undoable=False, family="remediate", requires=("evidence-recorded",)),
    ActionSpec("replace-instance", "i-…", INSTANCE,
               "launch a clean replacement (from --from ami-…|snap-…) with the original's subnet, groups, profile "
               "and tags, registered where the original was", values=("from",), family="remediate",
               requires=("evidence-recorded",)),
    ActionSpec("restore-bucket-policy", "<bucket>", r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
               "put back the bucket policy AWS Config recorded last before the compromise (--config-item <id> "
               "names another, after it, once you have checked it)", values=("config-item",), family="remediate"),
    ActionSpec("lift-isolation", "i-…", INSTANCE,
               "recovery after eradication: give the instance back the groups it had before isolation "
               "(to isolate again, `/contain isolate-instance`)", undoable=False, family="remediate",
               requires=("isolated", "eradicated")),
)
