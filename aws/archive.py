"""Postmortem documents kept in S3 (core.postmortem.Archive)."""

from __future__ import annotations

from aws.errors import aws_errors
from aws.sessions import AwsSessions


class S3Archive:
    def __init__(self, sessions: AwsSessions):
        self.sessions = sessions

    def put(self, bucket: str, key: str, content: str) -> str:
        with aws_errors("s3"):
            self.sessions.client("s3").put_object(Bucket=bucket, Key=key, Body=content.encode("utf-8"),
                                                  ContentType="text/markdown; charset=utf-8",
                                                  ServerSideEncryption="AES256")
        return f"s3://{bucket}/{key}"
