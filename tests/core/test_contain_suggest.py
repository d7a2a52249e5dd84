"""What containment a finding suggests, from its indicators and resources."""

from core.response.suggest import MAX_SUGGESTIONS, suggestions


def test_each_kind_of_target_suggests_its_action_in_a_stable_order():
    indicators = {"instance_id": ["i-0abc"], "access_key_id": ["AKIAX"], "ip": ["203.0.113.9"],
                  "principal": ["arn:aws:iam::1:user/dev/mallory", "arn:aws:iam::1:role/app"]}
    resources = [{"type": "AwsS3Bucket", "id": "arn:aws:s3:::exports"},
                 {"type": "AwsLambdaFunction", "id": "arn:aws:lambda:us-east-1:1:function:miner"}]
    assert suggestions(indicators, resources) == [
        ("isolate-instance", "i-0abc"), ("snapshot-instance", "i-0abc"), ("disable-access-key", "AKIAX"),
        ("block-ip", "203.0.113.9"), ("block-public-s3", "exports"), ("disable-lambda", "miner"),
        ("quarantine-user", "mallory"), ("quarantine-role", "app")]
    assert len(suggestions({"ip": [f"198.51.100.{n}" for n in range(20)]}, [])) == MAX_SUGGESTIONS


def test_nothing_to_contain_suggests_nothing():
    assert suggestions({}, [{"type": "AwsEc2Instance"}]) == []
