"""isolate-instance: take the instance out of service and cut it off the network while
keeping it running for forensics. Order matters: leave the Auto Scaling group and target
groups first (so failing health checks do not get it replaced or terminated), protect it
from termination, then move every ENI through the pass-through group (open only while they pass) into isolation."""

from __future__ import annotations

from aws.actions import ec2_lookup, isolation_groups, snapshots
from aws.actions.base import TAG_INCIDENT, ActionContext, Checks, Steps, plan, tags
from core.containment.catalog import SPECS, Plan


class IsolateInstance:
    spec = SPECS["isolate-instance"]

    def plan(self, ctx: ActionContext) -> Plan:
        target = ctx.job.target  # independent reads at once: the plan is read again right before a run
        facts, protected, asg, tgs = ctx.concurrently(
            lambda: ec2_lookup.instance(ctx, target), lambda: ec2_lookup.termination_protected(ctx, target),
            lambda: ec2_lookup.auto_scaling_group(ctx, target), lambda: ec2_lookup.target_groups(ctx, target))
        vpcs = sorted(set(facts.eni_vpcs.values()))
        groups = dict(zip(vpcs, ctx.concurrently(
            *(lambda vpc=vpc: isolation_groups.find(ctx, ctx.config.isolation_group, vpc) for vpc in vpcs))))
        current = [f"Instance {facts.id} {facts.name!r} ({facts.state}) in {facts.vpc}"]
        current += [f"{eni}: security groups {', '.join(g) or 'none'}" for eni, g in facts.enis.items()]
        current += [f"Termination protection {'on' if protected else 'off'}",
                    f"Auto Scaling group: {asg or 'none'}",
                    f"Target groups: {', '.join(t['arn'].split('/')[-2] for t in tgs) or 'none'}"]
        changes = [f"Detach from Auto Scaling group {asg} (desired capacity −1)"] if asg else []
        changes += [f"Deregister from target group {t['arn'].split('/')[-2]}" for t in tgs]
        changes += [] if protected else ["Turn on termination protection"]
        isolated = {eni for eni, g in facts.enis.items() if groups.get(facts.eni_vpcs.get(eni)) and
                    g == [groups[facts.eni_vpcs[eni]]]}
        if protected and not asg and not tgs and isolated == set(facts.enis) and not ctx.job.options.get("snapshot"):
            return plan(ctx, current, ["Nothing: every network interface is already in the isolation group"],
                        subnets=facts.subnets, vpc=facts.vpc, already_done=True)
        changes += [f"Create isolation group {ctx.config.isolation_group} in {vpc}" for vpc, g in groups.items() if not g]
        changes += [f"{eni}: {', '.join(g) or 'none'} → pass-through (open for the move only) → isolation (no traffic)"
                    for eni, g in facts.enis.items() if eni not in isolated]
        changes += [f"Tag {TAG_INCIDENT}={ctx.job.incident_id}"]
        if ctx.job.options.get("snapshot"):
            changes += snapshots.changes(facts)
        return plan(ctx, current, changes, subnets=facts.subnets, vpc=facts.vpc)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        job, target = ctx.job, ctx.job.target
        facts, asg, target_groups, protected = ctx.concurrently(
            lambda: ec2_lookup.instance(ctx, target), lambda: ec2_lookup.auto_scaling_group(ctx, target),
            lambda: ec2_lookup.target_groups(ctx, target), lambda: ec2_lookup.termination_protected(ctx, target))
        memory = {"enis": facts.enis, "asg": asg, "target_groups": target_groups, "protected": protected,
                  "isolation": {}}
        if memory["asg"]:
            ctx.call("autoscaling", "detach_instances", InstanceIds=[facts.id],
                     AutoScalingGroupName=memory["asg"], ShouldDecrementDesiredCapacity=True)
            steps.did("detach from the Auto Scaling group", lambda: _attach(ctx, facts.id, memory["asg"]))
        for tg in memory["target_groups"]:
            ctx.call("elbv2", "deregister_targets", TargetGroupArn=tg["arn"], Targets=[_target(facts.id, tg)])
            steps.did("deregister", lambda tg=tg: ctx.call("elbv2", "register_targets", TargetGroupArn=tg["arn"],
                                                           Targets=[_target(facts.id, tg)]))
        vpcs = list(dict.fromkeys(facts.eni_vpcs[eni] for eni in facts.enis))

        def protect() -> None:  # recorded by itself: it may succeed while a group lookup fails
            _protect(ctx, facts.id, True)
            steps.did("termination protection", lambda: _protect(ctx, facts.id, False))

        # Termination protection and each VPC's two groups (found, or made once and kept for the
        # next isolation) do not depend on each other: one round trip's wait instead of two.
        found = ctx.concurrently(*([] if memory["protected"] else [protect]),
                                 *(lambda vpc=vpc: isolation_groups.isolation(ctx, vpc) for vpc in vpcs),
                                 *(lambda vpc=vpc: isolation_groups.pass_through(ctx, vpc) for vpc in vpcs))
        groups = found[len(found) - 2 * len(vpcs):]
        memory["isolation"] = dict(zip(vpcs, groups[:len(vpcs)]))
        passing = memory["pass_through"] = dict(zip(vpcs, groups[len(vpcs):]))
        for vpc in vpcs:  # the pass-through allows traffic only while this VPC's interfaces move through it
            isolation_groups.opened(ctx, passing[vpc])
            try:
                for eni, original in facts.enis.items():
                    if facts.eni_vpcs[eni] != vpc:
                        continue
                    _set_groups(ctx, eni, [passing[vpc]])
                    steps.did(f"groups of {eni}", lambda eni=eni, groups=original: _set_groups(ctx, eni, groups))
                    _set_groups(ctx, eni, [memory["isolation"][vpc]])
            finally:
                isolation_groups.closed(ctx, passing[vpc])
        ctx.call("ec2", "create_tags", Resources=[facts.id], Tags=tags(ctx))
        steps.did("tags", lambda: ctx.call("ec2", "delete_tags", Resources=[facts.id], Tags=tags(ctx)))
        memory["snapshots"] = snapshots.take(ctx, facts, steps) if job.options.get("snapshot") else []
        summary = f"{facts.id} isolated: {len(facts.enis)} network interface(s) in the isolation group"
        return summary + (f", {len(memory['snapshots'])} snapshot(s)" if memory["snapshots"] else ""), memory

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        instance = ctx.job.target
        isolated = sorted(set(memory["isolation"].values()))
        # Every verification read is independent of the others: all at once
        now, protected, asg, tgs, snapshot_checks, *rules = ctx.concurrently(
            lambda: ec2_lookup.eni_groups(ctx, list(memory["enis"])),
            lambda: ec2_lookup.termination_protected(ctx, instance),
            lambda: ec2_lookup.auto_scaling_group(ctx, instance) if memory["asg"] else None,
            lambda: ec2_lookup.target_groups(ctx, instance) if memory["target_groups"] else None,
            lambda: snapshots.check(ctx, memory.get("snapshots", [])),
            *(lambda group=group: isolation_groups.rules(ctx, group) for group in isolated))
        checks = [(f"{eni} is only in the isolation group", len(g) == 1 and g[0] in isolated) for eni, g in now.items()]
        for group, (ingress, egress) in zip(isolated, rules):
            checks.append((f"{group} allows no traffic", not ingress and not egress))
        checks.append(("termination protection is on", protected))
        if memory["asg"]:
            checks.append(("detached from its Auto Scaling group", asg is None))
        if memory["target_groups"]:
            checks.append(("in no target group", not tgs))
        return checks + snapshot_checks

    def undo_plan(self, ctx: ActionContext) -> Plan:
        memory = ctx.job.memory
        now = ec2_lookup.eni_groups(ctx, list(memory["enis"]))
        current = [f"{eni}: security groups {', '.join(g) or 'none'}" for eni, g in now.items()]
        changes = [f"{eni}: back to {', '.join(g)}" if eni in _restorable(memory) else
                   f"{eni}: left as it is — the groups it had when this request ran ({', '.join(g)}) are "
                   "Firebreak's own isolation, so the request that isolated it first is the one to undo"
                   for eni, g in memory["enis"].items()]
        changes += [] if memory["protected"] else ["Turn termination protection off again"]
        changes += [f"Re-attach to Auto Scaling group {memory['asg']}"] if memory["asg"] else []
        changes += [f"Register again in {t['arn'].split('/')[-2]}" for t in memory["target_groups"]]
        return plan(ctx, current, changes + ["Remove the Firebreak tags (snapshots are kept)"])

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        memory, instance = ctx.job.memory, ctx.job.target
        now = ec2_lookup.eni_groups(ctx, list(memory["enis"]))
        restorable = _restorable(memory)
        for eni, groups in restorable.items():
            _set_groups(ctx, eni, groups)
            steps.did(f"groups of {eni}", lambda eni=eni, back=now[eni]: _set_groups(ctx, eni, back))
        if not memory["protected"]:
            _protect(ctx, instance, False)
            steps.did("termination protection", lambda: _protect(ctx, instance, True))
        if memory["asg"]:
            _attach(ctx, instance, memory["asg"])
        for tg in memory["target_groups"]:
            ctx.call("elbv2", "register_targets", TargetGroupArn=tg["arn"], Targets=[_target(instance, tg)])
        ctx.call("ec2", "delete_tags", Resources=[instance], Tags=[{"Key": t["Key"]} for t in tags(ctx)])
        kept = sorted(set(memory["enis"]) - set(restorable))
        if not kept:
            return f"{instance} restored to its original security groups", memory
        return (f"{instance}: {', '.join(kept)} left in isolation (the groups recorded when this request ran were "
                f"Firebreak's own isolation)" + (f"; {', '.join(restorable)} restored" if restorable else ""), memory)

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        instance = ctx.job.target
        now = ec2_lookup.eni_groups(ctx, list(memory["enis"]))
        checks = [(f"{eni} is back in {', '.join(g)}", sorted(now.get(eni, [])) == sorted(g))
                  for eni, g in _restorable(memory).items()]
        checks.append(("termination protection as before",
                       ec2_lookup.termination_protected(ctx, instance) == memory["protected"]))
        if memory["asg"]:
            checks.append((f"back in {memory['asg']}", ec2_lookup.auto_scaling_group(ctx, instance) == memory["asg"]))
        return checks


def _restorable(memory: dict) -> dict[str, list[str]]:
    """The ENIs whose recorded groups an undo may put back: never a state Firebreak made itself
    (its isolation or pass-through group, recorded when an isolation ran on an isolated ENI)."""
    made = set((memory.get("isolation") or {}).values()) | set((memory.get("pass_through") or {}).values())
    return {eni: groups for eni, groups in memory["enis"].items() if not made & set(groups)}


def _target(instance: str, tg: dict) -> dict:
    return {"Id": instance, **({"Port": tg["port"]} if tg.get("port") else {})}


def _attach(ctx: ActionContext, instance: str, asg: str) -> None:
    ctx.call("autoscaling", "attach_instances", InstanceIds=[instance], AutoScalingGroupName=asg)


def _protect(ctx: ActionContext, instance: str, on: bool) -> None:
    ctx.call("ec2", "modify_instance_attribute", InstanceId=instance, DisableApiTermination={"Value": on})


def _set_groups(ctx: ActionContext, eni: str, groups: list[str]) -> None:
    ctx.call("ec2", "modify_network_interface_attribute", NetworkInterfaceId=eni, Groups=groups)
