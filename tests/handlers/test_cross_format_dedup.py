"""One GuardDuty finding arriving three ways - the native `aws.guardduty` event, the ASFF copy
from Security Hub CSPM and the OCSF copy from the new Security Hub - is stored once and posted
once to the fake Slack, whatever the order; the richest copy (native) ends up shown, and every
copy is remembered for write-back.

No single finding is published in all three forms, so each form is a published sample
(tests/core/findings/fixtures, tests/fixtures/README.md) given, here, the native finding's
ARN, account, region and UpdatedAt."""

import copy
import itertools
import json

import pytest

from composition import local_workspace
from core.findings.intake import receive_one
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import fixture_text, tuned

ORDERS = list(itertools.permutations(("native", "asff", "ocsf")))


def copies(suffix: str) -> dict[str, str]:
    """The three forms of one finding whose GuardDuty id ends in `suffix`."""
    native = json.loads(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
    detail = native["detail"]
    detail["id"] = detail["id"][:-len(suffix)] + suffix
    detail["arn"] = detail["arn"].rsplit("/", 1)[0] + "/" + detail["id"]
    account, region, updated = detail["accountId"], detail["region"], detail["updatedAt"]
    asff = json.loads(fixture_text("securityhub/asff_raw_guardduty_ssh_bruteforce.json"))
    asff.update(Id=detail["arn"], AwsAccountId=account, Region=region, UpdatedAt=updated,
                ProductArn=f"arn:aws:securityhub:{region}::product/aws/guardduty")
    ocsf = json.loads((REPO / "tests/fixtures/ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json").read_text())
    finding = ocsf["detail"]["findings"][0]
    finding["finding_info"].update(uid=detail["arn"], uid_alt=detail["id"], modified_time_dt=updated)
    finding["metadata"]["uid"] = f"sh2-{suffix}"
    finding["cloud"]["account"]["uid"], finding["cloud"]["region"] = account, region
    finding.update(status="New", status_id=1)  # the published copy was already Suppressed
    return {"native": json.dumps(native), "asff": json.dumps(asff), "ocsf": json.dumps(ocsf)}


@pytest.fixture
def ws(settings):
    workspace = local_workspace(tuned(settings, after=100), threads=4)
    yield workspace
    workspace.stop()


def test_the_same_guardduty_finding_as_native_asff_and_ocsf_is_stored_once_and_posted_once_in_each_order(ws):
    repo = SqlFindingRepository(ws.services.db)
    for n, order in enumerate(ORDERS):
        documents = copies(f"{n:04x}")
        for form in order:
            summary, received = receive_one(ws.services, documents[form], origin="test")
            assert received.findings == 1 and not received.rejected, (order, form, received)
        assert ws.services.notifier.drain(10)
        assert repo.count() == n + 1, f"order {order} stored more than one finding"
    assert len(ws.fake.calls_to("chat.postMessage")) == len(ORDERS)
    for n, order in enumerate(ORDERS):
        documents = copies(f"{n:04x}")
        first_id = {"native": json.loads(documents["native"])["detail"]["id"],
                    "asff": json.loads(documents["asff"])["Id"], "ocsf": f"sh2-{n:04x}"}[order[0]]
        stored = repo.by_finding_id(first_id)  # the id it was first stored under stays its name
        assert stored.raw_format == "guardduty-event", f"order {order}: the native copy's fields did not win"
        assert stored.type == "Exfiltration:S3/MaliciousIPCaller"
        assert set(stored.origins) == {"guardduty", "asff", "ocsf"}
        assert stored.origins["ocsf"]["metadata_uid"] == f"sh2-{n:04x}"


def test_a_poorer_copy_with_the_same_update_time_changes_nothing_shown(ws):
    documents = copies("beef")
    receive_one(ws.services, documents["native"], origin="test")
    assert ws.services.notifier.drain(10)
    native_id = json.loads(documents["native"])["detail"]["id"]
    before = SqlFindingRepository(ws.services.db).by_finding_id(native_id)
    summary, _ = receive_one(ws.services, documents["asff"], origin="test")
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 1)
    after = SqlFindingRepository(ws.services.db).by_finding_id(native_id)
    assert after.revision == before.revision and after.raw_format == "guardduty-event"
    assert set(after.origins) == {"guardduty", "asff"}


def test_an_ocsf_finding_that_arrives_suppressed_is_stored_and_not_posted(ws):
    text = (REPO / "tests/fixtures/ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json").read_text()
    summary, _ = receive_one(ws.services, text, origin="test")
    assert ws.services.notifier.drain(10)
    assert (summary.new, summary.suppressed) == (1, 1)
    assert ws.fake.calls_to("chat.postMessage") == []
    assert SqlFindingRepository(ws.services.db).by_finding_id(
        "1d24e91799652d9e17025b61d94f436b20b515b6f3cd9bda788f48c1db9cf244").status == "suppressed"
