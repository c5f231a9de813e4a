"""Periodic jobs stop at shutdown, even when a job swallowed the cancellation."""

from __future__ import annotations

import asyncio
import contextlib

from signaling.tasks import every


async def test_every_stops_even_when_its_job_swallowed_the_cancel() -> None:
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        with contextlib.suppress(asyncio.CancelledError):  # as redis-py can, mid-command
            await asyncio.sleep(10)

    task = asyncio.create_task(every(0.01, job))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.wait_for(task, 1)  # ends instead of looping on
    assert runs == 1
