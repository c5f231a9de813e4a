"""Scoring: the visit (up to three darts, then the takeout), one internal stream of throw events, and
the interfaces darts software already speaks (shared/AUTOSCORE.md), served by ScoreServer.

    keeper = ScoreKeeper()                   # or agent.scoring with --autoscore
    keeper.throw((0.0, -103.0))              # a dart at board mm (T20); None: a bouncer
    keeper.takeout_started(); keeper.takeout_finished()

With --autoscore the throw detection in the video (detect/, watcher.py) feeds the stream; the Python API
can feed it too.
"""

from .model import Ring, Throw, score_point
from .options import ScoringOptions
from .server import ScoreServer
from .stream import ScoreKeeper, ScoreStream, StreamItem
from .visit import Phase, Visit, VisitError, VisitState
from .wire import CameraInfo

__all__ = [
    "CameraInfo",
    "Phase",
    "Ring",
    "ScoreKeeper",
    "ScoreServer",
    "ScoreStream",
    "ScoringOptions",
    "StreamItem",
    "Throw",
    "Visit",
    "VisitError",
    "VisitState",
    "score_point",
]
