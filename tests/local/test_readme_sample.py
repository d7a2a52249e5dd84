"""The README's sample session is what the console really prints (issue 11, item 23).

The sample's commands are typed into the console of a real local workspace (the clock
running, its time fixed so the dates match), and the whole transcript must equal the block.
To refresh the block after a deliberate change: `python -m tests.local.test_readme_sample`
prints the transcript of the commands the README holds now."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

from composition import local_workspace
from core.clock import OffsetClock
from local.console import Console
from tests.conftest import REPO

PROMPT = re.compile(r"^([a-z0-9._-]+)@#([a-z0-9_-]+)> (.+)$")
SAMPLE_TIME = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)


class SampleClock(OffsetClock):
    """An OffsetClock whose 'system time' stands still at SAMPLE_TIME."""

    def now(self) -> datetime:
        return SAMPLE_TIME + self.offset


def readme_sample() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("```\n", text.index("A short session")) + 4
    return text[start:text.index("```", start)]


def transcript(settings, sample: str) -> str:
    commands = [m.group(3) for m in map(PROMPT.match, sample.splitlines()) if m]
    ws = local_workspace(settings, threads=2, clock=SampleClock(), with_clock=True)
    try:
        out = io.StringIO()
        console = Console(ws, stdin=io.StringIO(""), stdout=out)
        for command in commands:
            out.write(console.prompt() + command + "\n")
            console.handle(command)
            ws.settle()
        return out.getvalue()
    finally:
        ws.stop()


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_the_readme_sample_session_is_what_the_console_prints(settings):
    sample = readme_sample()
    assert PROMPT.match(sample.splitlines()[0]), "the sample starts with a command at the prompt"
    assert _lines(transcript(settings, sample)) == _lines(sample)


if __name__ == "__main__":  # prints the transcript of the README's commands, to paste into it
    import tempfile

    from core.settings import load_settings

    with tempfile.TemporaryDirectory() as directory:
        print(transcript(load_settings(environ={"DATABASE_URL": f"sqlite:///{directory}/sample.db"}),
                         readme_sample()), end="")
