"""The process's limit of open files: every socket is one, and a server at the usual soft limit
(1024) stops accepting connections once a few hundred idle ones are open."""

from __future__ import annotations

import resource


def raise_open_files_limit() -> int:
    """Raises the soft limit of open files to the hard limit; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # a limit the system does not allow: keep the one there is
    return soft
