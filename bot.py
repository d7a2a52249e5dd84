"""Firebreak's command line: `python bot.py [COMMAND]` (cli/ holds the commands, composition/
the wiring). Every failure a user can cause (bad config, missing credentials, unreachable
database) ends in a plain message and a non-zero exit code, never a stack trace."""

from __future__ import annotations

import sys

from cli.common import EXIT_FAILURE, configure_logging, fail
from cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    from core.errors import ConfigError, FirebreakError

    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        return args.func(args)
    except ConfigError as exc:
        print("firebreak: configuration problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_FAILURE
    except FirebreakError as exc:
        return fail(exc.message)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, not a trace
        from core.logs import explain_startup_error

        return fail(explain_startup_error(exc))


if __name__ == "__main__":
    sys.exit(main())
