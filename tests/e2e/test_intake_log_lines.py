"""Issue 22 item 10: the SNS refusal logged the raw TopicArn, so a sender could write a log
line of its own. Through the real server and the production log handler, it stays one line."""

import io
import json
import logging
import urllib.error
import urllib.request

from composition import local_workspace
from core.logs import stream_handler
from tests.support.sns import SnsSigner


def test_a_forged_topic_arn_cannot_add_a_line_to_the_log(settings):
    signer = SnsSigner()
    ws = local_workspace(settings, threads=2, overrides={"fetch_url": signer.fetch})  # shipped: SNS intake off
    out = io.StringIO()
    handler = stream_handler(out)
    logging.getLogger("firebreak.intake").addHandler(handler)
    try:
        topic = "arn:aws:sns:us-east-1:1:t\n2026-12-06 10:00:00,000 INFO firebreak.audit: audit chain intact"
        message = signer.notification("{}", TopicArn=topic)
        request = urllib.request.Request(ws.url + "/intake/sns", data=json.dumps(message).encode(), method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 403
    finally:
        logging.getLogger("firebreak.intake").removeHandler(handler)
        ws.stop()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "SNS intake is off" in lines[0]
    assert "t\\n2026-12-06 10:00:00,000 INFO firebreak.audit: audit chain intact" in lines[0]
