"""The one internal stream of throw events that every score interface reads: an in-process, asyncio
publish/subscribe of (event, visit snapshot) pairs, and the ScoreKeeper that feeds it from the visit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from desktop_receiver.scoring.model import DartCorrected, ScoreEvent, ThrowDetected
from desktop_receiver.scoring.visit import Visit, VisitState

log = logging.getLogger(__name__)
CALIBRATION_LOST = "calibration lost"
QUEUE_LIMIT = 1000  # items a subscriber may fall behind by before it is dropped (it stopped reading)


@dataclass(frozen=True)
class StreamItem:
    """One change of the visit: the event and the visit right after it."""

    event: ScoreEvent
    state: VisitState


class Subscription:
    """One reader of the stream: `async for item in subscription`; `close()` ends it."""

    def __init__(self, stream: ScoreStream) -> None:
        self._stream = stream
        self.queue: asyncio.Queue[StreamItem | None] = asyncio.Queue(QUEUE_LIMIT)

    def close(self) -> None:
        """Stops reading: the iteration ends."""
        self._stream._drop(self)
        # A full queue: the reader is gone anyway; the end mark need not fit.
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[StreamItem]:
        while (item := await self.queue.get()) is not None:
            yield item


class ScoreStream:
    """Fans stream items out to its subscriptions (on the event loop)."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self) -> Subscription:
        """A new reader, which gets every item published from now on."""
        sub = Subscription(self)
        self._subscriptions.append(sub)
        return sub

    def _drop(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def publish(self, item: StreamItem) -> None:
        """Queues `item` for every reader; a reader too far behind is dropped, not waited for."""
        for sub in list(self._subscriptions):
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                log.warning("a score stream reader fell %d items behind: dropped", QUEUE_LIMIT)
                self._drop(sub)


class ScoreKeeper:
    """The visit and its stream: every change goes to the stream and to `emit` (the agent's events).
    The Python API that throw detection (and, until it exists, tests and user code) feeds."""

    def __init__(self, emit: Callable[[ScoreEvent], None] | None = None) -> None:
        self.visit = Visit()
        self.stream = ScoreStream()
        self._emit = emit

    def state(self) -> VisitState:
        """The visit now."""
        return self.visit.state()

    def _publish(self, event: ScoreEvent) -> ScoreEvent:
        self.stream.publish(StreamItem(event, self.visit.state()))
        if self._emit is not None:
            self._emit(event)
        return event

    def throw(
        self,
        board_mm: tuple[float, float] | None,
        *,
        image_px: tuple[float, float] | None = None,
        confidence: float = 1.0,
        frames: tuple[int, ...] = (),
    ) -> ThrowDetected:
        """Scores the next dart at `board_mm` (board mm; None: a bouncer) and publishes it. VisitError
        when no dart can come now (Visit.throw), ValueError on a bad confidence."""
        event = self.visit.throw(board_mm, image_px=image_px, confidence=confidence, frames=frames)
        self._publish(event)
        return event

    def correct(self, dart: int, board_mm: tuple[float, float] | None) -> DartCorrected:
        """Replaces dart `dart` of the visit by the score at `board_mm` and publishes the correction."""
        event = self.visit.correct(dart, board_mm)
        self._publish(event)
        return event

    def takeout_started(self) -> None:
        """A hand pulls the darts."""
        self._publish(self.visit.takeout_started())

    def takeout_finished(self) -> None:
        """The board is empty again."""
        self._publish(self.visit.takeout_finished())

    def reset(self) -> None:
        """Clears the visit by hand."""
        self._publish(self.visit.reset())

    def pause(self, reason: str) -> None:
        """No darts for now (`reason`: why, e.g. the calibration is lost)."""
        self._publish(self.visit.pause(reason))

    def resume(self) -> None:
        """Darts are scored again."""
        self._publish(self.visit.resume())

    def start(self) -> None:
        """Switches scoring on."""
        self._publish(self.visit.start())

    def stop(self) -> None:
        """Switches scoring off."""
        self._publish(self.visit.stop())

    def follow_calibration(self, calibrated: bool) -> None:
        """Pauses scoring while the board calibration is lost and resumes it once it is back."""
        paused = self.visit.paused
        if not calibrated and not paused:
            self.pause(CALIBRATION_LOST)
        elif calibrated and paused and self.visit.pause_reason == CALIBRATION_LOST:
            self.resume()
