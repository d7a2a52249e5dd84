"""`/contain` text → typed command; every malformed input gets a reason and the usage."""

import pytest

from core.containment.parse import parse
from core.errors import UsageError


def test_an_action_with_its_options():
    command = parse("isolate-instance i-0123456789abcdef0 --snapshot --region eu-west-1 --account 111122223333 "
                    "--incident #7 --dry-run")
    assert (command.sub, command.action, command.target) == ("run", "isolate-instance", "i-0123456789abcdef0")
    assert command.options == {"snapshot": True}
    assert (command.region, command.account, command.incident, command.dry_run) == (
        "eu-west-1", "111122223333", "#7", True)


def test_block_ip_normalises_to_a_network_and_splits_subnets():
    command = parse("block-ip 203.0.113.9 --subnets subnet-0123abcd,subnet-4567efab")
    assert command.target == "203.0.113.9/32"
    assert command.options == {"subnets": ["subnet-0123abcd", "subnet-4567efab"]}


@pytest.mark.parametrize("text", ["", "help", "HELP me"])
def test_help(text):
    assert parse(text).sub == "help"


def test_undo_and_status():
    assert parse("undo C12").request_id == 12 == parse("undo 12").request_id
    assert parse("status --incident 4").incident == "4"


@pytest.mark.parametrize("text, says", [
    ("explode i-0123456789abcdef0", "Unknown action"),
    ("isolate-instance", "exactly one target"),
    ("isolate-instance i-0123456789abcdef0 i-0123456789abcdef1", "exactly one target"),
    ("isolate-instance vol-0123", "does not look like a target"),
    ("isolate-instance i-0123456789abcdef0 --region mars", "not an AWS region"),
    ("isolate-instance i-0123456789abcdef0 --account 12", "not an AWS account id"),
    ("isolate-instance i-0123456789abcdef0 --region", "needs a value"),
    ("isolate-instance i-0123456789abcdef0 --force", "Unknown option"),
    ("isolate-instance i-0123456789abcdef0 --dry-run --dry-run", "given twice"),
    ("disable-lambda fn --snapshot", "Unknown option"),
    ("block-ip 999.1.1.1", "not an IPv4"),
    ("block-ip 10.0.0.0/4", "too wide"),
    ("block-ip 10.0.0.1 --subnets vpc-1", "subnet ids"),
    ("block-ip 10.0.0.1 --subnets subnet-0123abcd --vpc vpc-0123abcd", "not both"),
    ("undo", "Name the one request"),
    ("undo twelve", "Name the one request"),
    ("status now", "takes no arguments"),
])
def test_malformed_input_is_explained(text, says):
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert says in caught.value.message
    assert caught.value.usage.startswith("/contain")
