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


SEED = 2023  # moto's ids come from one seeded random stream: replaying the same calls gives the same ids


def serve(host: str, port: int, state: str | None = None) -> None:
    """The sandbox's server process: prints {"endpoint": ..., "restored": ...} once listening,
    stops when its parent closes stdin (or dies) or on SIGTERM. With `state` (a file under
    var/), every call is recorded there by moto's recorder and, at the next start, replayed
    with the same seed: the sandbox comes back with the same ids, objects and versions."""
    if state:  # moto's recorder reads these when it is imported
        os.environ["MOTO_RECORDER_FILEPATH"] = state
        os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), host, "localhost"]))
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
    restored = _restore(state, f"http://{bound_host}:{bound_port}") if state else False
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    print(json.dumps({"endpoint": f"http://{bound_host}:{bound_port}", "restored": restored}), flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _restore(state: str, endpoint: str) -> bool:
    """Seed moto's ids, replay what was recorded (if anything), then record what follows."""
    from moto.moto_api import recorder
    from moto.moto_api._internal import mock_random

    mock_random.seed(SEED)
    saved = Path(state)
    restored = saved.exists() and saved.stat().st_size > 0
    if restored:
        recorder.replay_recording(target_host=endpoint)
    else:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text("")
    recorder.start_recording()
    return restored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aws.moto_double", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state", help="record calls here and replay them at the next start")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
