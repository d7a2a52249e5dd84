"""Who may request and approve: the two-person rule and the approver lists that apply."""

import pytest

from core.containment.config import ContainmentConfig
from core.containment.rules import approver_lists, require_approver, require_requester
from core.errors import PermissionDenied


class Groups:
    def group_members(self, group_id):
        return {"S0LEADS": {"ULEAD"}}.get(group_id, set())


def cfg(**approvers):
    return ContainmentConfig(requesters=["UALICE", "S0LEADS"], approvers=approvers)


def approve(config, approver, requester="UALICE", action="isolate-instance", severity="sev2"):
    require_approver(config, [], approver=approver, requester=requester, action=action, severity=severity,
                     directory=Groups())


def test_requesters_must_be_listed_directly_or_by_group():
    require_requester(cfg(), [], "UALICE", Groups())
    require_requester(cfg(), [], "ULEAD", Groups())
    with pytest.raises(PermissionDenied, match="containment.requesters"):
        require_requester(cfg(), [], "UMALLORY", Groups())
    with pytest.raises(PermissionDenied, match="responder list"):
        require_requester(cfg(), ["UBOB"], "UALICE", Groups())


def test_nobody_approves_their_own_request():
    with pytest.raises(PermissionDenied, match="someone else"):
        approve(cfg(), "UALICE")


def test_action_and_severity_lists_must_both_name_the_approver():
    config = cfg(default=["UBOB"], actions={"isolate-instance": ["UCAROL", "S0LEADS"]}, severities={"sev1": ["UCAROL"]})
    assert approver_lists(config, "block-ip", "sev3") == [["UBOB"]]
    approve(config, "ULEAD")  # via the group, on the action's list
    with pytest.raises(PermissionDenied, match="approvers"):
        approve(config, "UBOB")  # default does not apply when the action has a list
    approve(config, "UCAROL", severity="sev1")
    with pytest.raises(PermissionDenied):
        approve(config, "ULEAD", severity="sev1")  # on the action's list but not on sev1's


def test_config_refuses_unknown_actions():
    with pytest.raises(ValueError, match="unknown containment actions"):
        ContainmentConfig(auto_approve=["nuke-account"])
