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


def test_control_characters_in_a_message_cannot_forge_a_second_log_line():
    forged = "arn:aws:sns:us-east-1:1:t\n2026-12-06 10:00:00,000 INFO firebreak: all clear\r\x1b[2J\u2028\u202e"
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "refused topic %s", (forged,), None)
    line = RedactingFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert line == ("WARNING refused topic arn:aws:sns:us-east-1:1:t\\n2026-12-06 10:00:00,000 INFO "
                    "firebreak: all clear\\r\\x1b[2J\\u2028\\u202e")


def test_a_traceback_keeps_its_lines_but_none_passes_for_a_record():
    try:
        raise ValueError("bad input\n2026-12-06 10:00:00,000 INFO firebreak: forged\x1b[1A")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), (type(exc), exc, exc.__traceback__))
    text = RedactingFormatter("%(levelname)s %(message)s").format(record)
    first, *rest = text.split("\n")
    assert first == "ERROR boom" and rest and all(line.startswith("  ") for line in rest)
    assert "\x1b" not in text and "  2026-12-06 10:00:00,000 INFO firebreak: forged\\x1b[1A" in rest
