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
from .digits import UPSIDE_DOWN, classify
from .homography import project
from .lens import Lens
from .number_patches import slot_pictures, turned
from .orient import rotation

STYLES = ("upright", "radial", "radial, lower half turned over")  # the upright one costs most
ALL_CANDIDATES = tuple(range(board.COLOUR_ROTATIONS))
MIN_SLOTS = 4  # numbers in view for a reading to mean anything
LOG_FLOOR = np.log(1e-3)  # a number hidden by a dart or glare costs this much, not more
# The winner's lead (mean log-likelihood per slot) over the runner-up that is certainty 1. On the shared
# photos at 4 image rotations the winner was right every time, with leads from 0.31 up; below a lead of
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


def _turn_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per style, two (COLOUR_ROTATIONS, N_SEGMENTS) tables of turns, in SEGMENT_DEG steps clockwise,
    that would stand candidate k's number in slot s upright in its picture (whose up is the board's
    outward direction at the slot); where a style allows two turns (a number at exactly 90 degrees,
    radial with the lower half turned over), the tables differ."""
    k = np.arange(board.COLOUR_ROTATIONS)[:, None]
    slot = np.arange(board.N_SEGMENTS)[None, :]
    step = (slot - k * board.COLOUR_PERIOD_SEGMENTS) % board.N_SEGMENTS  # the slot in k's frame
    half = board.N_SEGMENTS // 2
    quarter = board.N_SEGMENTS // 4
    lower = (step > quarter) & (step < 3 * quarter)
    side = (step == quarter) | (step == 3 * quarter)
    turned_over = np.where(lower, half, 0)
    zero = np.zeros_like(step)
    # An upright number's top is k's up: at the slot's own angle (in k's frame) from the picture's up.
    return {
        STYLES[0]: (step, step),
        STYLES[1]: (zero, zero),
        STYLES[2]: (turned_over, np.where(side, half, turned_over)),
    }


_TURNS = _turn_tables()
_HALF_TURN = board.N_SEGMENTS // 2  # 180 degrees in SEGMENT_DEG steps
# The number each candidate k (h @ rotation(36 k)) puts in each slot of h's frame.
_EXPECTED = np.array(board.SEGMENTS)[
    (np.arange(board.N_SEGMENTS)[None, :] - np.arange(board.COLOUR_ROTATIONS)[:, None] * 2) % board.N_SEGMENTS
]


class _Reader:
    """The slot pictures of one fit and the classifier's log-probabilities, computed once per turn."""

    def __init__(self, image: np.ndarray, h: np.ndarray, lens: Lens | None) -> None:
        self.pictures, visible = slot_pictures(image, h, lens)
        self.slots = np.flatnonzero(visible)
        # (slot, turn in SEGMENT_DEG steps, number; 0: none) -> log-probability, NaN until classified.
        self._logp = np.full((board.N_SEGMENTS, board.N_SEGMENTS, UPSIDE_DOWN + 1), np.nan)

    def scores(self, styles: tuple[str, ...], candidates: tuple[int, ...] = ALL_CANDIDATES) -> np.ndarray:
        """Per candidate k (of ``candidates``; the others stay 0) and style, the mean log-likelihood of k's
        numbers in the visible slots."""
        scores = np.zeros((board.COLOUR_ROTATIONS, len(styles)))
        if len(self.slots) < MIN_SLOTS:
            return scores
        ks, slots = np.array(candidates)[:, None], self.slots[None, :]
        tables = [table[ks, slots] for style in styles for table in _TURNS[style]]
        pairs = np.concatenate(
            [np.stack(np.broadcast_arrays(slots, t), axis=-1).reshape(-1, 2) for t in tables]
        )
        # One picture answers for a turn and the opposite one (the classifier reads upside-down numbers).
        pairs[:, 1] %= _HALF_TURN
        pairs = np.unique(pairs, axis=0)
        needed = pairs[np.isnan(self._logp[pairs[:, 0], pairs[:, 1], 0])]
        if len(needed):
            pictures = [turned(self.pictures[s], t * board.SEGMENT_DEG) for s, t in needed]
            logp = np.maximum(np.log(np.maximum(classify(np.stack(pictures)), 1e-12)), LOG_FLOOR)
            self._logp[needed[:, 0], needed[:, 1]] = logp[:, : UPSIDE_DOWN + 1]
            opposite = np.concatenate([logp[:, :1], logp[:, UPSIDE_DOWN + 1 :]], axis=1)
            self._logp[needed[:, 0], needed[:, 1] + _HALF_TURN] = opposite
        expected = _EXPECTED[ks, slots]
        for j, style in enumerate(styles):
            first, second = (self._logp[slots, table[ks, slots], expected] for table in _TURNS[style])
            scores[list(candidates), j] = np.maximum(first, second).mean(axis=1)
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
    # The radial styles first: they need one picture of each slot, the upright one five (as the candidates).
    for styles in (STYLES[1:], STYLES):
        scores = reader.scores(styles)
        score = scores.max(axis=1)
        order = np.argsort(-score)
        margin = float(score[order[0]] - score[order[1]])
        certainty = float(np.clip(margin / CERTAIN_MARGIN, 0.0, 1.0))
        if certainty >= MIN_READ_CERTAINTY:
            k = int(order[0])
            # Upright numbers near the top and bottom read radially too: the winner's own upright
            # reading (one more picture per slot) tells which way they really stand.
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
    turns = _TURNS[style][0][0]
    slots = [turned(pictures[s], turns[s] * board.SEGMENT_DEG) for s in range(board.N_SEGMENTS)]
    probs = classify(np.stack(slots))[:, : UPSIDE_DOWN + 1]  # upright: as the style stands them
    expected = _EXPECTED[0]
    return [
        SlotReading(
            slots[s],
            int(expected[s]),
            int(probs[s].argmax()),
            float(probs[s, expected[s]]),
            bool(visible[s]),
        )
        for s in range(board.N_SEGMENTS)
    ]
