"""Dismissals written back to the service that produced the finding, so the same false
positive does not come back through Security Hub or GuardDuty consoles and exports.

Security Hub (any ASFF finding): BatchUpdateFindings, workflow SUPPRESSED, the reason as the
note. GuardDuty (native findings): feedback NOT_USEFUL with the reason, then ArchiveFindings
on the detector named in the finding's ARN (or the region's only detector). CloudTrail
events have nothing to update in AWS."""

from __future__ import annotations

import re
from typing import Any

from aws.errors import AwsActionError, AwsFailure, aws_errors
from aws.sessions import AwsSessions
from core.errors import FirebreakError
from core.findings.ports import StoredFinding

NOTE_LIMIT = 512
_DETECTOR = re.compile(r":detector/([A-Za-z0-9]+)/finding/")


def detector_id(raw: dict[str, Any]) -> str | None:
    """From the finding's ARN (arn:aws:guardduty:region:account:detector/<id>/finding/<id>)."""
    for key in ("arn", "Arn"):
        match = _DETECTOR.search(str(raw.get(key) or ""))
        if match:
            return match.group(1)
    return None


class AwsWriteBack:
    def __init__(self, sessions: AwsSessions):
        self.sessions = sessions

    def dismiss(self, finding: StoredFinding, reason: str, user: str) -> str:
        if finding.raw_format.startswith("asff"):
            return self._security_hub(finding, reason, user)
        if finding.raw_format.startswith("guardduty"):
            return self._guardduty(finding, reason)
        return "CloudTrail events have no finding in AWS to update; recorded in Firebreak"

    def _client(self, service: str, finding: StoredFinding):
        return self.sessions.client(service, account=finding.account, region=finding.region)

    def _security_hub(self, finding: StoredFinding, reason: str, user: str) -> str:
        product_arn = finding.raw.get("ProductArn")
        if not isinstance(product_arn, str) or not product_arn:
            raise FirebreakError("This Security Hub finding has no ProductArn, so it cannot be updated in AWS.")
        client = self._client("securityhub", finding)
        with aws_errors("securityhub"):
            response = client.batch_update_findings(
                FindingIdentifiers=[{"Id": finding.finding_id, "ProductArn": product_arn}],
                Workflow={"Status": "SUPPRESSED"},
                Note={"Text": reason[:NOTE_LIMIT], "UpdatedBy": f"firebreak:{user}"[:NOTE_LIMIT]})
        for failed in response.get("UnprocessedFindings") or []:
            code = str(failed.get("ErrorCode") or "Unprocessed")
            raise AwsActionError(AwsFailure(code, f"Security Hub did not update the finding ({code}): "
                                                  f"{failed.get('ErrorMessage') or 'no message'}",
                                            operation="securityhub:BatchUpdateFindings"))
        return "Security Hub workflow set to SUPPRESSED with the reason as a note"

    def _guardduty(self, finding: StoredFinding, reason: str) -> str:
        client = self._client("guardduty", finding)
        with aws_errors("guardduty"):
            detector = detector_id(finding.raw)
            if detector is None:
                detectors = client.list_detectors().get("DetectorIds") or []
                if len(detectors) != 1:
                    raise FirebreakError(f"GuardDuty has {len(detectors)} detectors in "
                                         f"{finding.region or 'the default region'}; cannot tell which one "
                                         "holds this finding, so nothing was archived.")
                detector = detectors[0]
            client.update_findings_feedback(DetectorId=detector, FindingIds=[finding.finding_id],
                                            Feedback="NOT_USEFUL", Comments=reason[:NOTE_LIMIT])
            client.archive_findings(DetectorId=detector, FindingIds=[finding.finding_id])
        return f"GuardDuty finding archived (detector {detector}) with feedback NOT_USEFUL"
