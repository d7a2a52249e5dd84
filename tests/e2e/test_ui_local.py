"""`bot.py local` prints the browser view's URL when it starts, and the URL opens its
local login (a process test: the real command, its real stdout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_local_workspace_prints_the_browser_views_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_", "AWS_"))}
    # an AWS endpoint of the user's choice: no AWS sandbox to start (not what this test is about)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'firebreak.db'}", AWS_ENDPOINT_URL="http://127.0.0.1:9",
               AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "local", "--no-console"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline = None, time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(r"^Browser view: (http://127\.0\.0\.1:\d+/ui/) \(sign in as any of alice, bob, carol\)",
                              line)
            url = found.group(1) if found else None
        assert url, "the local workspace never said where the browser view is"
        with urllib.request.urlopen(url + "login", timeout=10) as answer:
            page = answer.read().decode()
        assert answer.status == 200 and 'name="person"' in page and "csrf_token" in page
    finally:
        proc.terminate()
        proc.wait(timeout=20)
