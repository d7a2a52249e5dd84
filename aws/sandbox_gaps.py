"""What the AWS sandbox (moto's server) cannot do, said in words. moto answers an operation
it lacks with an HTML error page from its web server; aws/errors.py recognises that answer
and says "not available in the AWS sandbox: <why>" instead of showing the page."""

from __future__ import annotations

# (service, operation) or (service, None) for the whole service → why it is missing.
GAPS: dict[tuple[str, str | None], str] = {
    ("guardduty", "ArchiveFindings"): "moto keeps GuardDuty detectors but no findings, so there is nothing to "
                                      "archive in AWS",
    ("guardduty", "UpdateFindingsFeedback"): "moto keeps GuardDuty detectors but no findings, so there is no "
                                             "feedback to give in AWS",
    ("guardduty", "GetFindings"): "moto keeps GuardDuty detectors but no findings",
    ("guardduty", "ListFindings"): "moto keeps GuardDuty detectors but no findings",
    ("securityhub", "BatchUpdateFindings"): "moto does not implement Security Hub's BatchUpdateFindings",
    ("cloudtrail", "LookupEvents"): "moto records no CloudTrail event history (LookupEvents is not implemented), "
                                    "so there is nothing to investigate",
    ("cloudtrail", "StartQuery"): "moto has no CloudTrail Lake",
    ("security-ir", None): "moto has no AWS Security Incident Response service, so no case can be opened",
}


def why(service: str | None, operation: str) -> str:
    """The reason an operation is not available in the sandbox."""
    for key in ((service, operation), (service, None)):
        if key in GAPS:
            return GAPS[key]
    named = f"{service}:{operation}" if service else operation
    return f"moto, which the sandbox runs, does not implement {named}"


def is_moto_page(response: dict) -> bool:
    """moto's web server answering with an HTML error page (an operation it lacks), which no
    AWS API returns."""
    message = str((response.get("Error") or {}).get("Message") or "").lstrip().lower()
    server = str(((response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("server", "")).lower()
    return message.startswith(("<!doctype html", "<html")) and "werkzeug" in server
