"""Tokens never reach a log line, whoever logs them."""

import logging

from core.logs import RedactingFormatter, explain_startup_error, redact


def test_slack_tokens_and_url_passwords_are_redacted(monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    line = ("token=xoxb-1234-5678-abcdEFGH app=xapp-1-A0-99-zz url=postgresql://fb:hunter2@db/fb "
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG secret 8f742231b10e8888abcd99yyyzzz85a5")
    out = redact(line)
    for secret in ("1234-5678-abcdEFGH", "1-A0-99-zz", "hunter2", "wJalrXUtnFEMI", "8f742231b10e8888abcd99yyyzzz85a5"):
        assert secret not in out
    assert "xoxb-***" in out and "postgresql://fb:***@db/fb" in out


def test_formatter_redacts_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling with %s", ("xoxb-99-secret",), None)
    assert "xoxb-99-secret" not in RedactingFormatter("%(message)s").format(record)
    try:
        raise RuntimeError("auth failed for xoxp-42-personal")
    except RuntimeError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), (type(exc), exc, exc.__traceback__))
    assert "xoxp-42-personal" not in RedactingFormatter("%(message)s").format(record)


def test_startup_errors_are_explained_without_secrets():
    class OperationalError(Exception):
        pass

    assert "check DATABASE_URL" in explain_startup_error(OperationalError("could not connect"))
    message = explain_startup_error(RuntimeError("The request to the Slack API failed. invalid_auth xoxb-1-2-3"))
    assert "SLACK_BOT_TOKEN" in message and "xoxb-1-2-3" not in message
