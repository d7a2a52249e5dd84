"""The `evidence:` section: safe by default (nothing is collected into S3, nothing shared, no
memory command), every mistake reported with the file and line, and check-config names what
cannot be checked without AWS."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.risks import risky_settings
from core.settings import load_config, load_settings


def test_shipped_defaults_collect_nothing_into_s3_and_share_with_nobody():
    evidence = load_config()[0].evidence
    assert evidence.bucket is None and evidence.buckets == {} and evidence.memory_document is None
    assert evidence.forensics_account is None and not evidence.may_share_with("111122223333")
    assert evidence.bucket_for("123456789012") is None


def write(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def test_mistakes_are_reported_with_file_and_line(tmp_path):
    path = write(tmp_path, """\
access:
  responders: [S0SEC]
evidence:
  bucket: Not_A_Bucket
  buckets:
    "12345": firebreak-evidence-a
  memory_document: "AWS-RunShellScript; rm"
  forensics_account: "1234"
  wait_seconds: -1
""")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    found = "\n".join(caught.value.problems)
    assert f"{path}:4: evidence.bucket:" in found
    assert f"{path}:5: evidence.buckets: account ids are 12 digits" in found
    assert f"{path}:7: evidence.memory_document:" in found
    assert f"{path}:8: evidence.forensics_account:" in found
    assert f"{path}:9: evidence.wait_seconds:" in found


def test_per_account_bucket_and_sharing_allow_list(tmp_path):
    path = write(tmp_path, """\
evidence:
  bucket: firebreak-evidence-main
  buckets: {"111111111111": firebreak-evidence-one}
  forensics_account: "222222222222"
  share_accounts: ["333333333333"]
  memory_document: AWS-RunShellScript
""")
    evidence = load_config(path)[0].evidence
    assert evidence.bucket_for("111111111111") == "firebreak-evidence-one"
    assert evidence.bucket_for("999999999999") == evidence.bucket_for(None) == "firebreak-evidence-main"
    assert evidence.may_share_with("222222222222") and evidence.may_share_with("333333333333")
    assert not evidence.may_share_with("444444444444")
    warnings = "\n".join(risky_settings(load_settings(str(path), environ={}).config))
    assert "Object Lock (COMPLIANCE default retention) cannot be checked without AWS" in warnings
    assert "333333333333 besides the forensics account 222222222222" in warnings
    assert "do not start with firebreak-evidence-" not in warnings
    assert "memory_document AWS-RunShellScript does not start with firebreak-" in warnings


def test_a_bucket_outside_the_iam_naming_convention_is_named(tmp_path):
    path = write(tmp_path, "evidence:\n  bucket: forensics-store\n")
    warnings = "\n".join(risky_settings(load_settings(str(path), environ={}).config))
    assert "forensics-store do not start with firebreak-evidence-" in warnings


def test_share_accounts_need_the_forensics_account(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "evidence:\n  share_accounts: ['333333333333']\n"))
    assert "share_accounts needs forensics_account" in "\n".join(caught.value.problems)
