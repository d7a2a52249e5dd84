"""Typed domain errors.

Core raises these; one handler in `handlers/errors.py` turns them into a friendly
ephemeral message, so no listener needs its own try/except.
"""


class FirebreakError(Exception):
    """Base for errors whose message is safe and useful to show to the user."""

    def __init__(self, message: str, *, mentions: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        # Ids written into the message on purpose as core.mentions tokens (shown as mentions).
        self.mentions = mentions


class UsageError(FirebreakError):
    """The command text could not be understood; carries the usage to show."""

    def __init__(self, message: str, usage: str = "", *, mentions: tuple[str, ...] = ()):
        super().__init__(message, mentions=mentions)
        self.usage = usage


class NotFound(FirebreakError):
    """Something the user named does not exist (incident, instance, ...)."""


class PermissionDenied(FirebreakError):
    """The user is not allowed to do this."""


class InvalidTransition(FirebreakError):
    """A state change that the current state does not allow."""


class NotConnected(FirebreakError):
    """A port with nothing behind it in this process (a null object, core/nulls.py) was asked to
    deliver or fetch something; the message says what is missing. Whoever can do without it
    catches it (a dismissal is then recorded in Firebreak only; a reminder stays due)."""


class NotInSandbox(FirebreakError):
    """The AWS sandbox (moto) cannot do this; the message starts "not available in the AWS
    sandbox:" and says why. Whoever can do without it catches it (a dismissal is recorded in
    Firebreak only)."""


class ConfigError(FirebreakError):
    """Configuration or playbook files are invalid; message lists every problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
