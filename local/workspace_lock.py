"""One local workspace per var/: a second `bot.py local` beside a running one would take
over its fake Slack file, its sandbox's recorded calls and inventory and its clock. The
first holds an exclusive lock on var/local.lock (released when its process ends, even
killed); the second is told who holds it."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import FirebreakError


class WorkspaceBusy(FirebreakError):
    """Another local workspace runs with this var/."""


class WorkspaceLock:
    def __init__(self, handle, path: Path):
        self._handle, self.path = handle, path

    @classmethod
    def take(cls, var: Path) -> "WorkspaceLock":
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; one workspace is the user's to keep
            return cls(None, Path(var) / "local.lock")
        path = Path(var) / "local.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise WorkspaceBusy(f"a local workspace already runs with {var} ({holder}); use that one (its console, "
                                "or `bot.py` commands beside it, which find its sandbox), stop it first, or give "
                                "this one its own database: DATABASE_URL=sqlite:///other/firebreak.db") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        return cls(handle, path)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the lock
            self._handle = None
