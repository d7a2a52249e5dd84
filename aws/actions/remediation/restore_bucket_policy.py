"""restore-bucket-policy: put back a bucket policy from before the compromise, and show the
approver every character of what will be written.

Where the policy comes from:

1. AWS Config's history of the bucket (GetResourceConfigHistory, AWS::S3::Bucket). The plan
   lists the items Config has, newest first, with their capture times, and picks the last
   one captured before the compromise began: the first-seen time of the incident's earliest
   linked finding (core hands it over as Job.context["compromised_at"]), else the declaration
   time (the plan says the compromise may be earlier). An item captured after that may hold
   the attacker's policy: it is used only when the requester names it, `--config-item <id>`.
2. The policy an earlier block-public-s3 of this bucket in this incident found: also after
   the compromise, so only with `--config-item remembered`.

Neither: refused (restore it by hand from your infrastructure code). The plan shows the
current policy and the one to write whole, with a statement-by-statement diff, in a file
attached to the card (the card's lines point to it and show no cut-off policy). Exactly that
policy is written (it travels in the plan's facts). No policy in the chosen item: the bucket
policy is deleted. Undo puts back the policy that was replaced; verify compares normalised
JSON."""

from __future__ import annotations

import json
from datetime import datetime

from aws.actions import bucket_policy
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

# Config answers these when it cannot tell: not recording, never saw the bucket, not allowed.
CONFIG_UNKNOWN = {"ResourceNotDiscoveredException": "AWS Config never recorded the bucket",
                  "NoAvailableConfigurationRecorderException": "AWS Config is not recording in this region",
                  "AccessDeniedException": "Firebreak may not read AWS Config (config:GetResourceConfigHistory)",
                  "AccessDenied": "Firebreak may not read AWS Config (config:GetResourceConfigHistory)"}
USABLE = (None, "OK", "ResourceDiscovered")  # deleted / not recorded items hold no configuration
PAGE, MAX_PAGES = 100, 5  # GetResourceConfigHistory's largest page; at most 500 items read
LISTED = 12  # items listed on the card (the file lists every one read)
INLINE = 400  # a statement this short is shown whole on the card; longer ones only in the file
REMEMBERED = "remembered"


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _at(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "an unknown time"


def history(ctx: ActionContext, bucket: str, until: datetime, wanted: str | None) -> tuple[list[dict], str]:
    """Config's items of the bucket, newest first: read until one before `until` (and the one
    named `wanted`) is found, or MAX_PAGES. ([], why) when Config cannot tell."""
    items, token = [], None
    for _ in range(MAX_PAGES):
        try:
            page = ctx.call("config", "get_resource_config_history", resourceType="AWS::S3::Bucket",
                            resourceId=bucket, chronologicalOrder="Reverse", limit=PAGE,
                            **({"nextToken": token} if token else {}))
        except AwsActionError as exc:
            if exc.code in CONFIG_UNKNOWN:
                return [], CONFIG_UNKNOWN[exc.code]
            raise
        for raw in page.get("configurationItems", []):
            items.append(_item(raw, until))
        token = page.get("nextToken")
        found_before = any(i["usable"] and not i["after"] for i in items)
        found_wanted = wanted is None or any(i["id"] == wanted for i in items)
        if not token or (found_before and found_wanted):
            break
    return items, "" if items else "AWS Config has no configuration item of the bucket"


def _item(raw: dict, until: datetime) -> dict:
    captured = _time(raw.get("configurationItemCaptureTime"))
    status = raw.get("configurationItemStatus")
    policy, readable = None, False
    supplementary = (raw.get("supplementaryConfiguration") or {}).get("BucketPolicy")
    if supplementary is not None:
        try:
            policy = (json.loads(supplementary) if isinstance(supplementary, str) else supplementary).get("policyText")
            readable = True
        except (ValueError, AttributeError):
            readable = False
    return {"id": str(raw.get("configurationStateId") or captured and captured.isoformat() or "?"),
            "captured": captured.isoformat() if captured else None, "status": status or "OK",
            "after": captured is None or captured >= until, "usable": status in USABLE and readable,
            "policy": policy}


def _reference(ctx: ActionContext) -> tuple[datetime | None, str]:
    """When the compromise began, as well as Firebreak can tell, and how it knows."""
    seen = _time(ctx.job.context.get("compromised_at"))
    if seen is not None:
        return seen, f"the first-seen time of the incident's earliest linked finding ({_at(seen)})"
    declared = _time(ctx.job.context.get("declared_at"))
    if declared is not None:
        return declared, (f"the incident's declaration ({_at(declared)}): no linked finding has a first-seen time, "
                          "so the compromise may have begun earlier")
    return None, "unknown"


def choose(ctx: ActionContext, bucket: str) -> dict:
    """{"policy", "source", "item", "items", "after", "reference", "why"}; raises ActionFailed
    when nothing from before the compromise is known and nothing was named."""
    wanted = ctx.job.options.get("config-item")
    until, why = _reference(ctx)
    if until is None:
        raise ActionFailed("When the compromise began is unknown (no incident time was handed over); ask again "
                           "from the incident.", "NoEarlierPolicy")
    items, unknown = history(ctx, bucket, until, None if wanted == REMEMBERED else wanted)
    remembered = ctx.job.context.get("remembered")
    base = {"items": items, "reference": until.isoformat(), "why": why}
    if wanted == REMEMBERED:
        if not remembered:
            raise ActionFailed(f"--config-item remembered: no earlier block-public-s3 of {bucket} in this incident "
                               "remembered a policy.", "NoEarlierPolicy")
        return {**base, "policy": remembered["policy"], "item": REMEMBERED, "after": True,
                "source": f"as {remembered['by']} block-public-s3 found it, during the incident"}
    if wanted is not None:
        named = next((i for i in items if i["id"] == wanted), None)
        if named is None or not named["usable"]:
            raise ActionFailed(f"AWS Config has no usable item {wanted} of {bucket}"
                               + (f" ({unknown})" if unknown else "") + ". " + _offer(items, remembered),
                               "NoEarlierPolicy")
        return {**base, "policy": named["policy"], "item": named["id"], "after": named["after"],
                "source": f"AWS Config item {named['id']}, captured {_at(_time(named['captured']))}"}
    before = next((i for i in items if i["usable"] and not i["after"]), None)
    if before is None:
        raise ActionFailed(f"No bucket policy from before the compromise is known for {bucket}: "
                           + (unknown or f"AWS Config has no item captured before {_at(until)}")
                           + f" (the compromise began at {why}). " + _offer(items, remembered)
                           + " Else restore it by hand from your infrastructure code.", "NoEarlierPolicy")
    return {**base, "policy": before["policy"], "item": before["id"], "after": False,
            "source": f"AWS Config item {before['id']}, captured {_at(_time(before['captured']))}, the last "
                      "before the compromise"}


def _offer(items: list[dict], remembered: dict | None) -> str:
    later = [f"{i['id']} ({_at(_time(i['captured']))})" for i in items if i["usable"]][:LISTED]
    offers = []
    if later:
        offers.append("Items captured after the compromise may hold the attacker's policy; if you have checked "
                      f"one, name it with --config-item <id>: {', '.join(later)}.")
    if remembered:
        offers.append(f"The policy {remembered['by']} block-public-s3 found (during the incident) is "
                      "--config-item remembered.")
    return " ".join(offers)


# ------------------------------------------------------------------ what the approver sees


def statements(policy: str | None) -> list[str]:
    """The policy's statements, each as normalised JSON (a policy that is not JSON: itself)."""
    if policy is None:
        return []
    try:
        found = json.loads(policy).get("Statement", [])
    except (ValueError, AttributeError):
        return [policy]
    found = found if isinstance(found, list) else [found]
    return [bucket_policy.normalised(json.dumps(s)) or "" for s in found]


def diff(current: str | None, wanted: str | None) -> list[tuple[str, str]]:
    """("+" added by the restore | "-" removed | "=" kept, statement) in the policy's order."""
    now, then = statements(current), statements(wanted)
    return ([("-", s) for s in now if s not in then] + [("+", s) for s in then if s not in now]
            + [("=", s) for s in then if s in now])


def _name(statement: str) -> str:
    try:
        sid = json.loads(statement).get("Sid")
    except (ValueError, AttributeError):
        sid = None
    return f"statement {sid}" if sid else "a statement without Sid"


def diff_lines(current: str | None, wanted: str | None, file_name: str) -> list[str]:
    changes = diff(current, wanted)
    words = {"+": "added back", "-": "removed", "=": "kept"}
    lines = [f"Statement by statement: {sum(1 for k, _ in changes if k == '+')} added back, "
             f"{sum(1 for k, _ in changes if k == '-')} removed, {sum(1 for k, _ in changes if k == '=')} kept"]
    for kind, statement in changes:
        if kind == "=":
            continue
        shown = statement if len(statement) <= INLINE else f"{len(statement)} characters, whole in {file_name}"
        lines.append(f"{'+' if kind == '+' else '−'} {_name(statement)} {words[kind]}: {shown}")
    return lines


def _pretty(policy: str | None) -> str:
    if policy is None:
        return "(no bucket policy)"
    try:
        return json.dumps(json.loads(policy), indent=2, sort_keys=True)
    except ValueError:
        return policy


def review_text(bucket: str, current: str | None, chosen: dict) -> str:
    """The attached file: every item read, the whole policy to write, the whole policy now,
    and each statement added back, removed or kept."""
    out = [f"restore-bucket-policy {bucket}", "",
           f"The compromise began: {chosen['why']}", "", "AWS Config items of the bucket, newest first:"]
    for i in chosen["items"]:
        mark = " <- written" if i["id"] == chosen["item"] else ""
        when = "after the compromise" if i["after"] else "before the compromise"
        out.append(f"  {i['id']}  captured {_at(_time(i['captured']))}  {i['status']}  {when}{mark}")
    if not chosen["items"]:
        out.append("  (none)")
    out += ["", f"Policy to write ({chosen['source']}):", _pretty(chosen["policy"]), "",
            "Policy now (undo puts it back):", _pretty(current), "", "Statement by statement:"]
    for kind, statement in diff(current, chosen["policy"]):
        word = {"+": "+ added back", "-": "- removed", "=": "= kept"}[kind]
        out += [f"{word}:", _pretty(statement)]
    return "\n".join(out) + "\n"


def _size(policy: str | None) -> str:
    if policy is None:
        return "no bucket policy"
    return f"{len(statements(policy))} statement(s), {len(policy)} characters"


class RestoreBucketPolicy:
    spec = SPECS["restore-bucket-policy"]

    def plan(self, ctx: ActionContext) -> Plan:
        bucket = ctx.job.target
        ctx.call("s3", "get_bucket_location", Bucket=bucket)  # NoSuchBucket if unknown
        current = bucket_policy.read(ctx, bucket)
        chosen = choose(ctx, bucket)
        file_name = f"restore-bucket-policy-{bucket}.txt"
        lines = [f"Bucket {bucket} policy now: {_size(current)}",
                 f"The compromise began: {chosen['why']}",
                 "AWS Config items (newest first): " + ("; ".join(
                     f"{i['id']} captured {_at(_time(i['captured']))}"
                     + (" after the compromise" if i["after"] else " before the compromise")
                     + (" ← written" if i["id"] == chosen["item"] else "")
                     for i in chosen["items"][:LISTED]) or "none")
                 + (f" (and {len(chosen['items']) - LISTED} older, in {file_name})"
                    if len(chosen["items"]) > LISTED else ""),
                 f"To write ({chosen['source']}): {_size(chosen['policy'])}; every character of it, the policy "
                 f"now and each statement are in the attached {file_name}"]
        if chosen["after"]:
            lines.append(":warning: captured after the compromise began, named with --config-item: check it is "
                         "not the attacker's policy")
        lines += diff_lines(current, chosen["policy"], file_name)
        facts = {"restore_policy": chosen["policy"], "restore_source": chosen["source"],
                 "config_item": chosen["item"], "compromised_at": chosen["reference"],
                 "config_items": [{k: i[k] for k in ("id", "captured", "status", "after")} for i in chosen["items"]],
                 "review": {"name": file_name, "text": review_text(bucket, current, chosen)}}
        if bucket_policy.same(current, chosen["policy"]):
            return plan(ctx, lines, ["Nothing: the policy is already the one chosen"], already_done=True, **facts)
        change = (f"Delete the bucket policy ({chosen['source']} holds none)" if chosen["policy"] is None
                  else f"Write the policy of {chosen['source']}, exactly as in {file_name}")
        return plan(ctx, lines, [change + " (undo puts today's policy back)"], **facts)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        bucket, wanted = ctx.job.target, ctx.job.context.get("restore_policy")
        if "restore_policy" not in ctx.job.context:
            raise ActionFailed("The approved plan carries no policy to restore; ask again.", "NoEarlierPolicy")
        replaced = bucket_policy.read(ctx, bucket)
        bucket_policy.write(ctx, bucket, wanted)
        steps.did("bucket policy", lambda: bucket_policy.write(ctx, bucket, replaced))
        source = ctx.job.context.get("restore_source")
        what = f"deleted ({source} holds none)" if wanted is None else f"restored from {source}"
        return f"Bucket {bucket}: policy {what}", {"replaced": replaced, "restored": wanted, "source": source,
                                                   "config_item": ctx.job.context.get("config_item")}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("the bucket policy is the one chosen to restore",
                 bucket_policy.same(bucket_policy.read(ctx, ctx.job.target), memory["restored"]))]

    def undo_plan(self, ctx: ActionContext) -> Plan:
        memory, bucket = ctx.job.memory, ctx.job.target
        current = bucket_policy.read(ctx, bucket)
        file_name = f"undo-restore-bucket-policy-{bucket}.txt"
        back = {"items": [], "item": None, "why": "not asked (undo)", "policy": memory["replaced"],
                "source": "the policy the restore replaced"}
        return plan(ctx, [f"Bucket {bucket} policy now: {_size(current)}",
                          f"To write back: {_size(memory['replaced'])}; every character in the attached {file_name}",
                          *diff_lines(current, memory["replaced"], file_name)],
                    [f"Back to the policy it replaced, exactly as in {file_name}"],
                    review={"name": file_name, "text": review_text(bucket, current, back)})

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        bucket_policy.write(ctx, ctx.job.target, ctx.job.memory["replaced"])
        return f"Bucket {ctx.job.target}: policy as before the restore", ctx.job.memory

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return [("the bucket policy is the one it replaced",
                 bucket_policy.same(bucket_policy.read(ctx, ctx.job.target), memory["replaced"]))]
