"""Small stand-ins the AWS sandbox registers in its moto server for what Firebreak calls and
moto 5.2 lacks, so those work in the sandbox instead of failing with moto's HTML error page.

- **AWS Support's correspondence**: AddCommunicationToCase and DescribeCommunications (moto
  has CreateCase, DescribeCases and ResolveCase). Kept in moto's own case object, the list
  DescribeCases returns as recentCommunications; newest first, CaseIdNotFound for an
  unknown case, as AWS answers. Without them every clock sweep of AWS cases failed.
- **SSM's DescribeInstanceInformation** (is the instance managed?): the sandbox's running
  instances with an instance profile are reported Online, the others unmanaged, which is
  what `/remediate patch-instance` asks before moto's SendCommand runs.

What cannot be stood in for honestly (GuardDuty findings, Security Hub's
BatchUpdateFindings, CloudTrail's event history, Security Incident Response) is answered
"not available in the AWS sandbox" by aws/sandbox_gaps.py instead.

Only the sandbox's server process imports this (aws/moto_double.py); tests install the
same functions with monkeypatch (tests/support/support_cases.py)."""

from __future__ import annotations

import datetime
import json
import time

from moto.core.exceptions import JsonRESTError


class CaseIdNotFound(JsonRESTError):
    code = 400

    def __init__(self, case_id: str):
        super().__init__("CaseIdNotFound", f"Case {case_id} not found")


def _case(response):
    case_id = response._get_param("caseId")
    case = response.support_backend.cases.get(case_id)
    if case is None:
        raise CaseIdNotFound(case_id)
    return case


def _messages(case) -> list[dict]:
    return case.communications["recentCommunications"]["communications"]


def add_communication_to_case(self) -> str:
    case = _case(self)
    _messages(case).append({
        "caseId": case.case_id, "body": self._get_param("communicationBody"),
        "submittedBy": f"{self.get_access_key()}@moto", "timeCreated": datetime.datetime.now().isoformat(),
        "attachmentSet": []})
    return json.dumps({"result": True})


def describe_communications(self) -> str:
    case = _case(self)
    return json.dumps({"communications": [dict(m) for m in reversed(_messages(case))]})


def describe_instance_information(self) -> str:
    """Running instances with an instance profile are SSM-managed and Online."""
    from moto.ec2.models import ec2_backends

    wanted: set[str] = set()
    for found in (self._get_param("Filters") or []) + (self._get_param("InstanceInformationFilterList") or []):
        if (found.get("Key") or found.get("key")) == "InstanceIds":
            wanted.update(found.get("Values") or found.get("valueSet") or [])
    backend = ec2_backends[self.current_account][self.region]
    listed = []
    for instance in backend.all_instances():
        if wanted and instance.id not in wanted:
            continue
        if instance.instance_state.name != "running" or not instance.iam_instance_profile:
            continue
        listed.append({"InstanceId": instance.id, "PingStatus": "Online", "LastPingDateTime": time.time(),
                       "AgentVersion": "3.3.0.0", "IsLatestVersion": True, "PlatformType": "Linux",
                       "PlatformName": "Amazon Linux", "ResourceType": "EC2Instance",
                       "IPAddress": instance.private_ip or ""})
    return json.dumps({"InstanceInformationList": listed})


def install() -> None:
    """Register the stand-ins on moto's response classes (the sandbox process, once)."""
    from moto.ssm.responses import SimpleSystemManagerResponse
    from moto.support.responses import SupportResponse

    SupportResponse.add_communication_to_case = add_communication_to_case
    SupportResponse.describe_communications = describe_communications
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information
