"""block-ip: in network ACLs or a WAFv2 IP set, as containment.block_ip.mode says."""

from __future__ import annotations

from aws.actions.base import ActionContext, Checks, Steps
from aws.actions.block_ip_nacl import NaclBlock
from aws.actions.block_ip_waf import WafBlock
from core.containment.catalog import SPECS, Plan


class BlockIp:
    spec = SPECS["block-ip"]

    def _how(self, ctx: ActionContext):
        """Undo reverses the way the block was made, even if the configuration changed since."""
        mode = ctx.job.memory.get("mode") or ctx.config.block_ip.mode
        return WafBlock() if mode == "waf" else NaclBlock()

    def plan(self, ctx: ActionContext) -> Plan:
        return self._how(ctx).plan(ctx)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        summary, memory = self._how(ctx).apply(ctx, steps)
        return summary, {**memory, "mode": ctx.config.block_ip.mode}

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return self._how(ctx).verify(ctx, memory)

    def undo_plan(self, ctx: ActionContext) -> Plan:
        return self._how(ctx).undo_plan(ctx)

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        return self._how(ctx).undo(ctx, steps)

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks:
        return self._how(ctx).verify_undo(ctx, memory)
