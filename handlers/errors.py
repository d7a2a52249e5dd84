"""The one error path: typed domain errors become a friendly ephemeral message; anything
unexpected is logged with a short id that the user sees too, so a report can be traced."""

from __future__ import annotations

import logging
import secrets
from core.errors import FirebreakError, UsageError
from handlers import blocks

log = logging.getLogger("firebreak.errors")


def describe(exc: BaseException, telemetry=None) -> tuple[str, list[dict]]:
    """Text and blocks to show the user for `exc`."""
    if isinstance(exc, FirebreakError):
        if telemetry:
            telemetry.errors.labels(kind=type(exc).__name__).inc()
        return blocks.error_message(exc.message, exc.usage if isinstance(exc, UsageError) else "",
                                    mentions=exc.mentions)
    error_id = secrets.token_hex(4)
    if telemetry:
        telemetry.errors.labels(kind="unexpected").inc()
    log.error("unexpected error %s", error_id, exc_info=exc)
    return blocks.error_message("Something went wrong on Firebreak's side; nothing was changed by the "
                                "failed step. Tell your Firebreak administrator this error id.",
                                error_id=error_id)


def install(app, telemetry) -> None:
    """Bolt's global error handler, for errors raised before or during ack()."""

    @app.error
    def on_error(error, body, respond, logger):  # noqa: ARG001 - Bolt injects by name
        text, shown = describe(error, telemetry)
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=shown, response_type="ephemeral", replace_original=False)
