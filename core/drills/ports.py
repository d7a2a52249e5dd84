"""What drills need from outside core: the AWS sandbox, if this process's AWS calls go to one.
The port lives with containment, whose drill guard asks it before any AWS call."""

from core.containment.ports import Sandbox

__all__ = ["Sandbox"]
