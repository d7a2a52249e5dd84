"""moto as Firebreak's AWS double: the few adjustments that make it answer like AWS for what
Firebreak calls, in one place for the sandbox and the tests.

- **Athena speaks rest-json.** botocore 1.44 describes Athena as rest-json (POST /workgroups,
  /queryexecution, ...). moto 5.2.6 implements the operations and its router already matches
  method and path from botocore's own service model, but registers Athena only at `/`, the
  old json path; every rest-json call fell through to "Not yet implemented". Registering
  the rest of Athena's paths for the same dispatcher is all it takes.
- **A small AMI set** (config/sandbox-amis.json, an Amazon Linux 2 and a Windows image of
  moto's own): moto otherwise builds every default AMI in every region it touches, which
  was a third of the time of an EC2 test and of seeding the sandbox.
- **Only the managed policies Firebreak attaches** (AWSDenyAll): moto loads all ~1,000 of
  AWS's or none.

The sandbox runs moto's server in a process of its own (`python -m aws.moto_double`), as
AWS is: these settings never leak into the bot's process, and the server's work does not
share the bot's interpreter lock."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Iterable, MutableMapping
from pathlib import Path

AMIS_FILE = Path(__file__).resolve().parents[1] / "config" / "sandbox-amis.json"
MANAGED_POLICIES = ("AWSDenyAll",)  # quarantine-user / quarantine-role attach it
_ATHENA_REST_PATHS = "{0}/.+$"


def environment(environ: MutableMapping[str, str]) -> None:
    """Variables moto reads when it is imported: set them before `import moto`."""
    environ.setdefault("MOTO_AMIS_PATH", str(AMIS_FILE))


def route_athena_rest_json() -> None:
    """Athena's rest-json paths go to moto's Athena dispatcher (see above). Idempotent."""
    from moto.athena import urls
    from moto.athena.responses import AthenaResponse

    urls.url_paths.setdefault(_ATHENA_REST_PATHS, AthenaResponse.dispatch)


def load_only(policies: Iterable[str], environ: MutableMapping[str, str]) -> None:
    """moto's IAM loads AWS's managed policies, but only these (real documents, moto's copy)."""
    import moto.iam.models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    shipped = json.loads(aws_managed_policies_data)
    moto.iam.models.aws_managed_policies_data = json.dumps({name: shipped[name] for name in policies})
    environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


def serve(host: str, port: int) -> None:
    """The sandbox's server process: prints {"endpoint": ...} once listening, stops when its
    parent closes stdin (or dies) or on SIGTERM."""
    environment(os.environ)
    route_athena_rest_json()
    load_only(MANAGED_POLICIES, os.environ)
    from aws import sandbox_standins

    sandbox_standins.install()  # Support correspondence, SSM's managed instances
    import logging

    from moto.server import ThreadedMotoServer

    # moto's answer to an operation it lacks is an HTML page, which the bot turns into "not
    # available in the AWS sandbox" (aws/sandbox_gaps.py); werkzeug's traceback of it on
    # the terminal, under the console, on every clock sweep, helped nobody.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    print(json.dumps({"endpoint": f"http://{bound_host}:{bound_port}"}), flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aws.moto_double", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
