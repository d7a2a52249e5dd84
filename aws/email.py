"""core.communications.ports.Email over SNS: a stakeholder update published to an audience's
topic, whose email subscribers receive it (needs sns:Publish on the topic). The client is
made per topic region from AwsSessions (the configured retries)."""

from __future__ import annotations

from aws.errors import aws_errors
from aws.sessions import AwsSessions


class SnsEmail:
    def __init__(self, sessions: AwsSessions):
        self.sessions = sessions

    def publish(self, topic_arn: str, subject: str, text: str) -> str:
        client = self.sessions.client("sns", region=topic_arn.split(":")[3])
        with aws_errors("sns"):
            return client.publish(TopicArn=topic_arn, Subject=subject[:100], Message=text)["MessageId"]
