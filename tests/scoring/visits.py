"""Rendered visits for the scoring tests (scripts/render_visit.py) and a run of the agent's throw
detection over their frames, as the agent runs it but without the video codec."""

from __future__ import annotations

from dataclasses import dataclass, replace

from desktop_receiver.calibration.pipeline import calibrate
from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.events import Event
from desktop_receiver.scoring import ScoreKeeper
from desktop_receiver.scoring.detect.detector import Observation, ThrowDetector
from desktop_receiver.scoring.watcher import apply
from tests.renderer import load_script

render_visit = load_script("render_visit")
Dart = load_script("render_darts").Dart
RenderParams = load_script("render_board").RenderParams

# Three darts well inside their beds (a single 20, a treble 6's neighbour single, a single 3), leaning as
# thrown darts do: a wrong tip by a few mm still scores the same.
DARTS = (
    Dart((0.0, -134.0), azimuth_deg=10),
    Dart((60.0, 0.0), azimuth_deg=-25, tilt_deg=20),
    Dart((-8.0, 130.0), azimuth_deg=30, tilt_deg=10),
)
LABELS = ["S20", "S6", "S3"]


def camera(width: int = 960, height: int = 540, **changes) -> RenderParams:
    """A phone at an angle to the board."""
    base = RenderParams(
        seed=5, width=width, height=height, tilt_deg=25, tilt_azimuth_deg=60, roll_deg=10, fill=0.8,
        noise_sigma=1.0, jpeg_quality=90, clutter=8,
    )  # fmt: skip
    return replace(base, **changes)


def visit(fps: int = 15, **changes):
    """The plan of a whole visit: still board, three darts, the takeout, the empty board."""
    return render_visit.VisitPlan(**{"base": camera(), "fps": fps, "darts": DARTS, **changes})


@dataclass
class Run:
    """What the detection made of a clip."""

    observations: list[Observation]
    events: list[Event]
    calibration: CalibrationResult

    def names(self) -> list[str]:
        """The visit's events, in order."""
        return [e.name for e in self.events]

    def throws(self) -> list:
        """The scored darts."""
        return [e.throw for e in self.events if e.name == "throw"]


def detect(clip) -> Run:
    """Runs the detector and the visit over ``clip``'s frames, calibrated on its first frame."""
    frames = list(clip.frames)
    calibration = calibrate(frames[0])
    assert calibration.ok, calibration
    events: list[Event] = []
    keeper = ScoreKeeper(events.append)
    detector, observations = ThrowDetector(), []
    for index, image in enumerate(frames):
        for observation in detector.feed(image, index, calibration):
            observations.append(observation)
            apply(keeper, observation)
    return Run(observations, events, calibration)
