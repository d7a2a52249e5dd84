"""The processes that do the work after the ack: the worker (jobs, SQS findings), the clock
(scheduler), and the operator's view of the job queue."""

from __future__ import annotations

import argparse
import os
import signal

from cli.common import fail, findings_process, log, offline_services, settings_of


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the jobs the web processes acknowledged; also consume SQS findings when
    FINDINGS_QUEUE_URL is set. Findings are consumed at once; jobs start when Slack has
    confirmed the bot token (composition.startup), which is retried while Slack fails."""
    import threading

    import composition
    from composition.startup import SlackStartup
    from core.jobs import Policy

    settings = settings_of(args)
    queue_url = os.environ.get("FINDINGS_QUEUE_URL")
    runs_jobs = bool(settings.secrets.slack_bot_token)
    if not (runs_jobs or queue_url):
        return fail("worker needs SLACK_BOT_TOKEN (to run the jobs Slack requests leave) and/or "
                     "FINDINGS_QUEUE_URL (the SQS queue your findings arrive on).")
    if runs_jobs:
        process = composition.worker_process(settings)  # no Bolt app: jobs hold typed commands
    else:
        log.warning("no SLACK_BOT_TOKEN: consuming findings only; queued jobs wait for a worker that has one")
        process = findings_process(args)
    stop = threading.Event()
    for name in (signal.SIGTERM, signal.SIGINT):  # finish the jobs and the batch in hand, then stop
        signal.signal(name, lambda *_: stop.set())
    workers = startup = None
    if runs_jobs:
        policy = Policy(lease_seconds=args.lease_seconds) if args.lease_seconds else Policy()
        workers = composition.job_worker(process, threads=args.threads, policy=policy)

        def run_jobs():
            workers.start()
            log.info("running jobs with %d thread(s)%s", args.threads, f" and consuming findings from {queue_url}"
                     if queue_url else " (no FINDINGS_QUEUE_URL: jobs only)")

        startup = SlackStartup(process, then=[run_jobs], on_refused=stop.set,
                               waiting="queued jobs wait" + ("; findings from SQS are stored" if queue_url else ""))
        startup.start()
    consumer = _Consumer(process, queue_url, stop) if queue_url else None
    try:
        while not stop.wait(1.0):
            pass
    finally:
        if startup is not None:
            startup.stop()
        if workers is not None:
            workers.stop()  # jobs in hand finish for up to 6 s, the rest go back to the queue at once
        if consumer is not None:
            consumer.join(1.0)  # the batch in hand; a long poll still waiting is left behind
        process.drain()
    if consumer is not None:
        consumer.raise_if_failed()
    if startup is not None:
        startup.raise_if_refused()
    return 0


class _Consumer:
    """The SQS consumer in a thread of its own, so that SIGTERM does not wait for a long poll
    (up to 20 s) before the jobs are stopped: it stops the worker if it fails (a refused
    queue), and its failure is raised where the main thread ends."""

    def __init__(self, process, queue_url: str, stop) -> None:
        import threading

        import composition

        self._failure: BaseException | None = None
        self._stop = stop
        self._thread = threading.Thread(target=self._run, args=(composition.sqs_worker(process, queue_url),),
                                        name="firebreak-sqs", daemon=True)
        self._thread.start()

    def _run(self, consumer) -> None:
        try:
            consumer.run(self._stop)
        except BaseException as exc:  # noqa: BLE001 - raised again by the main thread
            self._failure = exc
        finally:
            self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def raise_if_failed(self) -> None:
        if self._failure is not None:
            raise self._failure

def _job_line(job) -> str:
    when = job.created_at.strftime("%Y-%m-%d %H:%M:%S") if job.created_at else "?"
    line = f"{job.id:>6}  {job.state:<7}  {job.attempts}  {when}  {job.route}  {job.key}"
    if job.last_error and job.state != "done":
        line += f"\n        last error: {job.last_error[:300]}"
    return line

def cmd_jobs_list(args: argparse.Namespace) -> int:

    with offline_services(args) as services:
        found = services.repos.jobs.listed(failed=args.failed, limit=args.limit)
    if not found:
        print("No dead jobs." if args.failed else "No jobs.")
        return 0
    print("    id  state    n  created              route  key")
    for job in found:
        print(_job_line(job))
    return 0

def cmd_jobs_retry(args: argparse.Namespace) -> int:
    from core.jobs import utcnow

    with offline_services(args) as services:
        job = services.repos.jobs.retry(args.id, at=utcnow())
        existing = services.repos.jobs.get(args.id) if job is None else job
    if job is None:
        if existing is None:
            return fail(f"there is no job {args.id}.")
        return fail(f"job {args.id} is {existing.state}, not dead; only dead jobs are retried.")
    print(f"Job {job.id} ({job.route}) is queued again; a worker runs it next.")
    return 0

def cmd_clock(args: argparse.Namespace) -> int:
    """The scheduler: one active clock across replicas (a database lease), the rest stand by.
    It runs at once; Slack confirms the bot token in the background (composition.startup)."""
    import threading

    from composition.startup import SlackStartup
    from composition.clock import run_clock

    process = findings_process(args, confirm_slack=True)  # snoozes that expire show their findings in Slack
    stop = threading.Event()
    for name in (signal.SIGTERM, signal.SIGINT):  # finish the sweep in hand, hand the lease over
        signal.signal(name, lambda *_: stop.set())
    startup = None
    if process.slack_check is not None:
        startup = SlackStartup(process, on_refused=stop.set, waiting="the scheduler runs; finding messages wait, "
                               "reminders are retried each sweep").start()
    try:
        code = run_clock(process.services, stop)
    finally:
        if startup is not None:
            startup.stop()
        process.drain()
    if startup is not None:
        startup.raise_if_refused()
    return code
