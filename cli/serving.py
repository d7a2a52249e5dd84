"""Serving Slack: HTTP (serve), Socket Mode (socket), the embedded local workspace (the
default without Slack tokens) and the AWS sandbox on its own."""

from __future__ import annotations

import argparse
import os
import signal

from cli.common import fail, local_var, log, settings_of
from local.workspace_lock import WorkspaceBusy, WorkspaceLock


def cmd_default(args: argparse.Namespace) -> int:
    """Serve if Slack credentials are set; otherwise the embedded local workspace."""
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        args.host = args.port = None
        return cmd_serve(args)
    print("No SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET set: starting the embedded local workspace.\n"
          "(Set both, or see README 'Connecting to Slack', to serve a real workspace.)")
    args.no_console = False
    args.port = args.slack_port = args.sandbox_port = 0
    return cmd_local(args)

def cmd_serve(args: argparse.Namespace) -> int:
    """Serve at once; Slack confirms the bot token in the background (composition.startup):
    /healthz answers and Slack requests are acknowledged and queued while Slack is failing."""
    import composition
    from composition.startup import SlackStartup
    from web.app import MetricsApp
    from web.server import RunningServer, start_metrics_server

    settings = settings_of(args)
    missing = [name for name, value in (("SLACK_BOT_TOKEN", settings.secrets.slack_bot_token),
                                        ("SLACK_SIGNING_SECRET", settings.secrets.slack_signing_secret))
               if not value]
    if missing:
        return fail(f"serve needs {' and '.join(missing)} in the environment "
                     "(or run `python bot.py` without them for the local workspace).")
    process = composition.build(settings, slack_app=True)
    server_cfg = settings.config.server
    host = args.host or server_cfg.host
    port = args.port if args.port is not None else int(os.environ.get("PORT") or server_cfg.port)
    server = RunningServer.from_config(process.web, server_cfg, host, port)
    workers = None
    if getattr(args, "with_worker", False):  # one process for small teams: it runs its jobs too
        workers = composition.job_worker(process, threads=args.worker_threads or server_cfg.threads)
    log.info("serving Slack requests on %s/slack/events (health: /healthz)%s", server.url,
             "; running jobs too once Slack answers" if workers else "; jobs are run by `bot.py worker`")
    if process.web is not None and process.web.ui is not None:
        log.info("serving the browser view on %s/ui/", settings.config.ui.public_url or server.url)
    metrics = start_metrics_server(MetricsApp(process.services), server_cfg)

    def halt(*_):
        for running in (metrics, server):
            if running:
                running.stop()

    signal.signal(signal.SIGTERM, halt)
    startup = SlackStartup(process, then=[workers.start] if workers else [], on_refused=halt,
                           waiting="/healthz answers; Slack requests are acknowledged and queued, "
                                   "events get 503 until then").start()
    try:
        server.run_forever()
    finally:
        startup.stop()
        if workers is not None:
            workers.stop()
        process.drain()
    startup.raise_if_refused()
    return 0

def cmd_socket(args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    import composition
    from composition.startup import SlackStartup

    settings = settings_of(args)
    if not (settings.secrets.slack_app_token and settings.secrets.slack_bot_token):
        return fail("socket needs SLACK_APP_TOKEN (xapp-…, connections:write) and SLACK_BOT_TOKEN.")
    process = composition.build(settings, slack_app=True)
    try:
        SlackStartup(process).run()  # Socket Mode is Slack itself: wait for Slack here, retrying
        SocketModeHandler(process.bolt, settings.secrets.slack_app_token).start()
    finally:
        process.drain()
    return 0

def cmd_local(args: argparse.Namespace) -> int:
    from composition import sandbox
    from local.console import Console, quiet_libraries

    settings = settings_of(args)
    if not args.no_console:  # migrations, HTTP and scheduler chatter would bury the chat
        quiet_libraries()
    # The fake workspace is kept beside the SQLite file so incidents and their channels stay
    # together between runs; with another database it starts fresh.
    var = local_var(settings)
    state = var / "local-slack.json" if var is not None else None
    try:  # one workspace per var/: a second would overwrite the first's Slack, sandbox and clock
        held = WorkspaceLock.take(var) if var is not None else None
    except WorkspaceBusy as exc:
        return fail(exc.message)
    # The clock runs here too, so reminders and SLA escalations show up (`:clock +30m`).
    # Without AWS credentials (and no AWS_ENDPOINT_URL) an AWS sandbox starts first and
    # every AWS call of this process goes to it; with them nothing changes.
    try:
        workspace, local_aws = sandbox.local_workspace(settings, port=args.port or 0, state_file=state,
                                                       slack_port=getattr(args, "slack_port", 0) or 0,
                                                       sandbox_port=getattr(args, "sandbox_port", 0) or 0,
                                                       record=var / "sandbox.json" if var else sandbox.INVENTORY_FILE,
                                                       sandbox_state=var / "sandbox-calls.jsonl" if var else None,
                                                       with_clock=True, progress=lambda text: print(text, flush=True))
    except OSError as exc:  # a chosen port is taken
        if held is not None:
            held.release()
        return fail(f"the local workspace cannot listen: {exc.strerror or exc}. Choose other ports with --port, "
                    "--slack-port and --sandbox-port (or leave them out for any free port).")
    try:
        print(f"Browser view: {workspace.ui_url} (sign in as any of {', '.join(workspace.users)}).", flush=True)
        if args.no_console:
            print(f"Local workspace: bot at {workspace.url}, fake Slack API at {workspace.fake.api_url}. "
                  "Ctrl-C stops it.", flush=True)
            print(local_aws.notice, flush=True)  # the console's own hints (`:sandbox`) do not apply here
            if local_aws.sandbox is not None:
                print("\n".join(local_aws.sandbox.inventory.lines()), flush=True)
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
            signal.pause()
        else:
            Console(workspace).run()
    except KeyboardInterrupt:
        pass
    finally:
        workspace.stop()
        local_aws.stop()
        if held is not None:
            held.release()
    return 0

def cmd_sandbox(args: argparse.Namespace) -> int:
    """The AWS sandbox on its own: moto on loopback, seeded; prints endpoint and inventory."""
    from composition import sandbox

    print("Starting the AWS sandbox (moto) and seeding it ...", flush=True)
    running = sandbox.start(port=args.port)
    try:
        print(f"AWS sandbox at {running.endpoint} (account {running.inventory.account}, "
              f"region {running.inventory.region}). Inventory:")
        print("\n".join(running.inventory.lines()[1:]))
        print(f"\nPoint the bot at it (in another terminal):\n  AWS_ENDPOINT_URL={running.endpoint} "
              "AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox python bot.py serve\n"
              f"(inventory recorded in {sandbox.INVENTORY_FILE}; drills act only here). Ctrl-C stops it.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0
