"""The agent's own frame consumers, as configured: the calibration, the throw detection (--autoscore with
--calibrate) and the dump. Each runs in its own thread (FrameConsumer), so OpenCV never blocks the loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_receiver.calibration.runner import FrameCalibrator
from desktop_receiver.media.dump import FrameDumper
from desktop_receiver.media.frames import Frame
from desktop_receiver.scoring.throw_dump import ThrowDump
from desktop_receiver.scoring.watcher import ThrowWatcher, apply

if TYPE_CHECKING:
    from desktop_receiver.agent import Agent

Stage = tuple[str, Callable[[Frame], None]]


class StageError(ValueError):
    """A stage cannot be made (a bad option, a dump directory that cannot be written)."""


async def make_stages(agent: Agent) -> list[Stage]:
    """The stages of ``agent``'s configuration; sets ``agent.calibrator``. StageError says what is wrong."""
    config = agent.config
    loop = asyncio.get_running_loop()
    stages: list[Stage] = []
    if config.calibration is not None:
        # Called in the calibration's thread: the event goes out on the loop.
        publish = functools.partial(loop.call_soon_threadsafe, agent._calibrated)
        try:
            agent.calibrator = FrameCalibrator(config.calibration, publish)
        except ValueError as exc:
            raise StageError(str(exc)) from exc
        stages.append(("calibration", agent.calibrator))
    calibrator = agent.calibrator
    if agent.scoring is not None and calibrator is not None:
        keeper = agent.scoring
        deliver = functools.partial(loop.call_soon_threadsafe, functools.partial(apply, keeper))
        try:
            dump = await asyncio.to_thread(ThrowDump, config.dump.directory) if config.dump else None
        except OSError as exc:
            raise StageError(f"cannot dump throws to {config.dump.directory}: {exc}") from exc
        stages.append(("scoring", ThrowWatcher(lambda: calibrator.current, deliver, dump)))
    if config.dump is not None:
        overlay = (lambda: calibrator.current) if calibrator is not None else None
        try:
            # Off the event loop: preparing the directory reads the old index and deletes its files.
            dumper = await asyncio.to_thread(FrameDumper, config.dump, overlay)
        except (OSError, ValueError) as exc:
            raise StageError(f"cannot dump frames to {config.dump.directory}: {exc}") from exc
        stages.append(("dump", dumper))
    return stages
