"""The shipped playbooks propose `/evidence` steps (collect before containing), each under
the `evidence:` key and rendered as the `/evidence` command a responder would type."""

from __future__ import annotations

from core.playbooks.loader import load_playbooks
from core.playbooks.runtime import _step_text
from core.settings import load_config


def proposals(name):
    config = load_config()[0]
    playbook = load_playbooks(config.playbooks.path, config.incidents)[name]
    return {key: _step_text(step, {"instance_id": "i-0123456789abcdef0", "user": "intern", "bucket": "exposed"})[1]
            for phase in playbook.phases for key, step in playbook.keyed(phase) if step.evidence is not None}


def test_the_ec2_playbook_collects_evidence_in_analysis_before_isolation():
    steps = proposals("compromised-ec2-instance")
    assert steps == {
        "instance-data": "/evidence collect-instance-data i-0123456789abcdef0",
        "forensic-snapshot": "/evidence collect-disk i-0123456789abcdef0",
        "memory-evidence": "/evidence collect-memory i-0123456789abcdef0",
        "log-evidence": "/evidence collect-logs i-0123456789abcdef0 --hours 24"}


def test_credential_and_bucket_playbooks_collect_their_logs():
    assert proposals("compromised-iam-credentials") == {"trail-evidence": "/evidence collect-logs intern --hours 72"}
    assert proposals("s3-public-exposure") == {"access-log-evidence": "/evidence collect-logs exposed --hours 72"}
