"""Dismissals written back to the service that produced the finding, so the same false
positive does not come back through Security Hub or GuardDuty consoles and exports.

Which copy is told follows the finding's origins (core/findings/identity.py): the producer
itself when the finding arrived natively, else the new Security Hub's OCSF copy, else the
ASFF copy. Security Hub CSPM (ASFF): BatchUpdateFindings, workflow SUPPRESSED, the reason as
the note. Security Hub (OCSF): BatchUpdateFindingsV2 by metadata.uid, StatusId 3
(Suppressed), the reason as the comment. GuardDuty (native findings): feedback NOT_USEFUL
with the reason, then ArchiveFindings on the detector named in the finding's ARN (or the
region's only detector). CloudTrail events have nothing to update in AWS; Inspector and
Macie close their own findings.

A snooze is temporary, so it is only noted (`snooze`): the finding keeps its status in AWS
and reappears for everyone else when the snooze ends."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aws.errors import AwsActionError, AwsFailure, aws_errors
from aws.sessions import AwsSessions
from core.errors import FirebreakError
from core.findings.identity import family, write_back_origin
from core.findings.ports import StoredFinding
from core.findings.timeutil import format_timestamp

NOTE_LIMIT = 512  # BatchUpdateFindings' Note.Text and BatchUpdateFindingsV2's Comment
SUPPRESSED = 3  # OCSF status_id
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
        origin_format, origin = write_back_origin(finding.origins, finding.raw_format)
        if origin_format == "ocsf":
            return self._security_hub_v2(finding, origin, reason)
        if origin_format == "asff":
            return self._security_hub(finding, reason, user, origin)
        if origin_format == "guardduty":
            return self._guardduty(finding, reason, origin)
        if origin_format in ("inspector", "macie"):
            return (f"{origin_format.capitalize()} closes its findings itself when the cause is gone; "
                    "recorded in Firebreak")
        return "CloudTrail events have no finding in AWS to update; recorded in Firebreak"

    def snooze(self, finding: StoredFinding, until: datetime, user: str, reason: str) -> str:
        """A note on every Security Hub copy the finding arrived as (each its own call), never a
        status or workflow change. GuardDuty has no snooze and no notes: a native copy gets
        nothing (archiving it would hide it after the snooze ends); nor do Inspector, Macie
        or CloudTrail copies."""
        origins = finding.origins or {}
        if not origins:
            origins = {family(finding.raw_format): {}}
        note = f"Snoozed in Firebreak until {format_timestamp(until)} by {user}: {reason}"[:NOTE_LIMIT]
        done = []
        if isinstance(origins.get("ocsf"), dict):
            done.append(self._note_v2(finding, origins["ocsf"], note))
        if isinstance(origins.get("asff"), dict):
            done.append(self._note_cspm(finding, origins["asff"], note, user))
        if not done:
            return ""  # only Security Hub's copies take a note
        return "; ".join(done)

    def _note_v2(self, finding: StoredFinding, origin: dict[str, Any], note: str) -> str:
        uid = origin.get("metadata_uid")
        if not isinstance(uid, str) or not uid:
            raise FirebreakError("This Security Hub finding has no metadata.uid, so it cannot be updated in AWS.")
        with aws_errors("securityhub"):
            response = self._client("securityhub", finding).batch_update_findings_v2(MetadataUids=[uid], Comment=note)
        _unprocessed(response, "securityhub:BatchUpdateFindingsV2")
        return "Security Hub finding commented (status unchanged)"

    def _note_cspm(self, finding: StoredFinding, origin: dict[str, Any], note: str, user: str) -> str:
        product_arn = origin.get("product_arn") or finding.raw.get("ProductArn")
        if not isinstance(product_arn, str) or not product_arn:
            raise FirebreakError("This Security Hub finding has no ProductArn, so it cannot be updated in AWS.")
        with aws_errors("securityhub"):
            response = self._client("securityhub", finding).batch_update_findings(
                FindingIdentifiers=[{"Id": origin.get("id") or finding.finding_id, "ProductArn": product_arn}],
                Note={"Text": note, "UpdatedBy": f"firebreak:{user}"[:NOTE_LIMIT]})
        _unprocessed(response, "securityhub:BatchUpdateFindings")
        return "Security Hub CSPM note added (workflow unchanged)"

    def _client(self, service: str, finding: StoredFinding):
        return self.sessions.client(service, account=finding.account, region=finding.region)

    def _security_hub_v2(self, finding: StoredFinding, origin: dict[str, Any], reason: str) -> str:
        uid = origin.get("metadata_uid")
        if not isinstance(uid, str) or not uid:
            raise FirebreakError("This Security Hub finding has no metadata.uid, so it cannot be updated in AWS.")
        client = self._client("securityhub", finding)
        with aws_errors("securityhub"):
            response = client.batch_update_findings_v2(MetadataUids=[uid], StatusId=SUPPRESSED,
                                                       Comment=reason[:NOTE_LIMIT])
        for failed in response.get("UnprocessedFindings") or []:
            code = str(failed.get("ErrorCode") or "Unprocessed")
            raise AwsActionError(AwsFailure(code, f"Security Hub did not update the finding ({code}): "
                                                  f"{failed.get('ErrorMessage') or 'no message'}",
                                            operation="securityhub:BatchUpdateFindingsV2"))
        return "Security Hub finding status set to Suppressed with the reason as a comment"

    def _security_hub(self, finding: StoredFinding, reason: str, user: str, origin: dict[str, Any]) -> str:
        product_arn = origin.get("product_arn") or finding.raw.get("ProductArn")
        if not isinstance(product_arn, str) or not product_arn:
            raise FirebreakError("This Security Hub finding has no ProductArn, so it cannot be updated in AWS.")
        client = self._client("securityhub", finding)
        with aws_errors("securityhub"):
            response = client.batch_update_findings(
                FindingIdentifiers=[{"Id": origin.get("id") or finding.finding_id, "ProductArn": product_arn}],
                Workflow={"Status": "SUPPRESSED"},
                Note={"Text": reason[:NOTE_LIMIT], "UpdatedBy": f"firebreak:{user}"[:NOTE_LIMIT]})
        for failed in response.get("UnprocessedFindings") or []:
            code = str(failed.get("ErrorCode") or "Unprocessed")
            raise AwsActionError(AwsFailure(code, f"Security Hub did not update the finding ({code}): "
                                                  f"{failed.get('ErrorMessage') or 'no message'}",
                                            operation="securityhub:BatchUpdateFindings"))
        return "Security Hub workflow set to SUPPRESSED with the reason as a note"

    def _guardduty(self, finding: StoredFinding, reason: str, origin: dict[str, Any]) -> str:
        client = self._client("guardduty", finding)
        finding_id = origin.get("id") or finding.finding_id
        with aws_errors("guardduty"):
            detector = detector_id({"arn": origin.get("arn")}) or detector_id(finding.raw)
            if detector is None:
                detectors = client.list_detectors().get("DetectorIds") or []
                if len(detectors) != 1:
                    raise FirebreakError(f"GuardDuty has {len(detectors)} detectors in "
                                         f"{finding.region or 'the default region'}; cannot tell which one "
                                         "holds this finding, so nothing was archived.")
                detector = detectors[0]
            client.update_findings_feedback(DetectorId=detector, FindingIds=[finding_id],
                                            Feedback="NOT_USEFUL", Comments=reason[:NOTE_LIMIT])
            client.archive_findings(DetectorId=detector, FindingIds=[finding_id])
        return f"GuardDuty finding archived (detector {detector}) with feedback NOT_USEFUL"


def _unprocessed(response: dict[str, Any], operation: str) -> None:
    for failed in response.get("UnprocessedFindings") or []:
        code = str(failed.get("ErrorCode") or "Unprocessed")
        raise AwsActionError(AwsFailure(code, f"Security Hub did not update the finding ({code}): "
                                              f"{failed.get('ErrorMessage') or 'no message'}", operation=operation))
