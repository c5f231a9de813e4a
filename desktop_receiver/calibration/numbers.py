"""Which way up: the 20 read from the number ring, at any roll.

The red/green pattern repeats every 36 degrees, so ten rotations of the board fit the rings equally well.
The numbers tell them apart. Each slot of the ring is cut out on the board plane (number_patches) and
offered to the number classifier (digits) turned every way a maker may have set its number: upright as
the board hangs, radially with the tops outward, or radially and turned over in the lower half. For each
of the ten candidates and each of these styles, the slots should hold the candidate's numbers, turned
the style's way; the candidate whose numbers the classifier finds most likely wins, by a margin that
gives the certainty. Only when the lead is too small to trust (an unreadable ring: too small, covered,
out of the frame) is the candidate closest to image-up taken, flagged as a guess with a low certainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .digits import classify
from .homography import project
from .lens import Lens
from .number_patches import slot_pictures, turned
from .orient import rotation

STYLES = ("upright", "radial", "radial, lower half turned over")  # the upright one costs most
ALL_CANDIDATES = tuple(range(board.COLOUR_ROTATIONS))
MIN_SLOTS = 4  # numbers in view for a reading to mean anything
LOG_FLOOR = np.log(1e-3)  # a number hidden by a dart or glare costs this much, not more
# The winner's lead (mean log-likelihood per slot) over the runner-up that is certainty 1. On the shared
# photos at 4 image rotations the winner was right every time, with leads from 0.29 up; below a lead of
# 0.2 the 20 is guessed.
CERTAIN_MARGIN = 1.0
MIN_READ_CERTAINTY = 0.2
MAX_GUESS_CERTAINTY = 0.15  # under MIN_READ_CERTAINTY: a guess is never taken for a reading
MAX_UP_DEVIATION = 60.0  # degrees: a guess keeps the 20 within a hand-held phone's roll of up
UP_PRIOR_DEG = 300.0  # degrees from up that cost 1.0 of score: within that, closeness to up breaks ties


@dataclass(frozen=True)
class Orientation:
    """The board->image homography with the 20 chosen, how sure (in [0, 1]) and whether it is a guess
    (the candidate closest to image-up, the number ring being unreadable); ``style`` is how the numbers
    stand ("" for a guess)."""

    H: np.ndarray
    certainty: float
    guessed: bool
    style: str = ""


def _turns(slot: int, k: int) -> dict[str, tuple[float, ...]]:
    """Per style, the turns (degrees clockwise) that would stand candidate ``k``'s number in ``slot``
    upright in its picture (whose up is the board's outward direction at the slot)."""
    angle = (slot * board.SEGMENT_DEG - k * board.COLOUR_PERIOD_DEG) % 360  # the slot in k's frame
    lower = (0.0,) if angle < 90 or angle > 270 else (180.0,) if 90 < angle < 270 else (0.0, 180.0)
    # An upright number's top is k's up: at the slot's own angle from the picture's up.
    return {STYLES[0]: (angle % 360,), STYLES[1]: (0.0,), STYLES[2]: lower}


def _expected(slot: int, k: int) -> int:
    """The number that candidate ``k`` (h @ rotation(36 k)) puts in ``slot`` of h's frame."""
    return board.SEGMENTS[(slot - k * board.COLOUR_PERIOD_SEGMENTS) % board.N_SEGMENTS]


class _Reader:
    """The slot pictures of one fit and the classifier's log-probabilities, computed once per turn."""

    def __init__(self, image: np.ndarray, h: np.ndarray, lens: Lens | None) -> None:
        self.pictures, visible = slot_pictures(image, h, lens)
        self.slots = [int(s) for s in np.flatnonzero(visible)]
        self._logp: dict[tuple[int, float], np.ndarray] = {}

    def scores(self, styles: tuple[str, ...], candidates: tuple[int, ...] = ALL_CANDIDATES) -> np.ndarray:
        """Per candidate k (of ``candidates``; the others stay 0) and style, the mean log-likelihood of k's
        numbers in the visible slots."""
        scores = np.zeros((board.COLOUR_ROTATIONS, len(styles)))
        if len(self.slots) < MIN_SLOTS:
            return scores
        turns = {(s, k): _turns(s, k) for s in self.slots for k in candidates}
        needed = sorted(
            {(s, t) for (s, k), ts in turns.items() for st in styles for t in ts[st]} - set(self._logp)
        )
        if needed:
            probs = classify(np.stack([turned(self.pictures[s], t) for s, t in needed]))
            logp = np.maximum(np.log(np.maximum(probs, 1e-12)), LOG_FLOOR)
            self._logp.update(zip(needed, logp, strict=True))
        for k in candidates:
            for j, style in enumerate(styles):
                per_slot = [
                    max(self._logp[(s, t)][_expected(s, k)] for t in turns[(s, k)][style]) for s in self.slots
                ]
                scores[k, j] = float(np.mean(per_slot))
        return scores


def read_scores(image: np.ndarray, h: np.ndarray, lens: Lens | None = None) -> tuple[np.ndarray, int]:
    """(scores, slots): per candidate k and style of STYLES, the mean log-likelihood of k's numbers in the
    visible slots, shape (COLOUR_ROTATIONS, len(STYLES)), and how many slots were visible."""
    reader = _Reader(image, h, lens)
    return reader.scores(STYLES), len(reader.slots)


def _deviation_from_up(h: np.ndarray) -> np.ndarray:
    """Per candidate k, degrees between image-up and the direction in which ``h @ rotation(36 k)`` puts
    the 20."""
    centre = project(h, np.zeros((1, 2)))[0]
    dev = np.empty(board.COLOUR_ROTATIONS)
    for k in range(board.COLOUR_ROTATIONS):
        top = project(h @ rotation(board.COLOUR_PERIOD_DEG * k), np.array([[0.0, -board.R_TREBLE_OUTER]]))
        top = top[0] - centre
        dev[k] = abs(np.degrees(np.arctan2(top[0], -top[1])))
    return dev


def choose_twenty(image: np.ndarray, h: np.ndarray, lens: Lens | None = None) -> Orientation:
    """Among the ten rotations ``h @ rotation(36 k)``, the one whose number ring reads like a board's.

    ``h`` (board -> ideal image) must be right modulo 36 degrees (red segments at even indices); ``lens``
    is the image's distortion. When the numbers leave no clear winner, the best-reading candidate with
    the 20 near image-up is taken as a guess with a certainty of at most MAX_GUESS_CERTAINTY.
    """
    reader = _Reader(image, h, lens)
    # The radial styles first: they need two turns of each slot, the upright one ten (as the candidates).
    for styles in (STYLES[1:], STYLES):
        scores = reader.scores(styles)
        score = scores.max(axis=1)
        order = np.argsort(-score)
        margin = float(score[order[0]] - score[order[1]])
        certainty = float(np.clip(margin / CERTAIN_MARGIN, 0.0, 1.0))
        if certainty >= MIN_READ_CERTAINTY:
            k = int(order[0])
            # Upright numbers near the top and bottom read radially too: the winner's own upright
            # reading (ten more slot pictures) tells which way they really stand.
            every = reader.scores(STYLES, (k,))[k]
            return Orientation(
                h @ rotation(board.COLOUR_PERIOD_DEG * k), certainty, False, STYLES[int(every.argmax())]
            )
    # The guess: the 20 within MAX_UP_DEVIATION of up, and among such candidates the better reading (a
    # roll near 18 degrees puts two candidates about as close to up).
    dev = _deviation_from_up(h)
    spread = max(float(score.max() - score.min()), 1e-9)
    guess = int(np.argmax(np.where(dev <= MAX_UP_DEVIATION, score / spread - dev / UP_PRIOR_DEG, -np.inf)))
    certainty = min(certainty, MAX_GUESS_CERTAINTY)
    return Orientation(h @ rotation(board.COLOUR_PERIOD_DEG * guess), certainty, True)


@dataclass(frozen=True)
class SlotReading:
    """One slot of the number ring as the classifier saw it under a chosen orientation (debugging)."""

    picture: np.ndarray  # (PATCH_PX, PATCH_PX) grey, turned so that the expected number stands upright
    expected: int  # the number the orientation puts there
    read: int  # the classifier's best class: a number, or 0 for none
    probability: float  # the classifier's probability of the expected number
    visible: bool


def read_out(
    image: np.ndarray, h: np.ndarray, lens: Lens | None = None, style: str = STYLES[2]
) -> list[SlotReading]:
    """Every slot of the oriented ``h`` (the 20 at slot 0) read as numbers standing ``style``'s way."""
    pictures, visible = slot_pictures(image, h, lens)
    slots = [turned(pictures[s], _turns(s, 0)[style][0]) for s in range(board.N_SEGMENTS)]
    probs = classify(np.stack(slots))
    return [
        SlotReading(
            slots[s],
            _expected(s, 0),
            int(probs[s].argmax()),
            float(probs[s, _expected(s, 0)]),
            bool(visible[s]),
        )
        for s in range(board.N_SEGMENTS)
    ]
