"""Background tasks: stopping them (shared by the server and the agent) and periodic jobs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def cancel_and_wait(*tasks: asyncio.Task | None) -> None:
    """Cancels the tasks and waits until each has finished; their cancellation is not an error."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    """Runs job every `seconds` until the running task is cancelled. The loop checks the task's own
    cancel request instead of relying on the CancelledError alone: redis-py can swallow one that
    arrives mid-command, and a loop that trusted it would go on (a shutdown then hung)."""
    task = asyncio.current_task()
    while task is None or not task.cancelling():
        await asyncio.sleep(seconds)
        await job()
