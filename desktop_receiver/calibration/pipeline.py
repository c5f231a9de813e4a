"""calibrate(): a BGR frame in, the board's homography (or a reason for failing) out.

Steps: find the double ring by colour (detect), initial homography from the double and treble ellipses
with the rotation from the red/green pattern (orient), robust refinement on ring edges and wires and then
the lens (refine), checks that turn doubtful fits into failures (too small, partly outside the frame, too
blurred, too little of the board's structure found where predicted), then the choice of the 20 from the
number ring (numbers; a guess near up, flagged and with a low confidence, when it cannot be read). With a
``trace.Trace`` every step notes what it decided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from . import board
from .detect import RingCandidate, ellipse_points, find_rings
from .edges import blur_sigma_px
from .homography import project, to_image
from .numbers import choose_twenty
from .orient import colour_strength, initial_homography, rotation
from .refine import COARSE_SCHEDULE, FINE_SCHEDULE, Fit, point_jacobian, px_per_mm, refine
from .result import CalibrationFailure, CalibrationResult, homography_fields
from .trace import Trace

MIN_IMAGE_SIDE = 64
# The double ring's mean diameter (geometric mean of the axes); below, the rings are under 2 px wide.
# The smallest board the calibration is meant for (25 % of 480 px, seen at 60 degrees) is about 85 px.
MIN_RING_DIAMETER_PX = 70.0
MAX_BLUR_PX = 4.5  # an upscaled, soft video frame of a board (sigma 3.6 px) still calibrates to 1.7 mm
MAX_BLUR_MM = 5.0
MIN_CONFIDENCE = 0.5
GUESSED_CONFIDENCE = 0.3  # below MIN_CONFIDENCE: a guessed orientation is never mistaken for a read one
MAX_CANDIDATES = 3
CONVINCING_RING = 0.5  # detect.RingCandidate.score
CONVINCING_COLOURS = 0.5  # orient.colour_strength after the fit


def calibrate(image_bgr: np.ndarray, trace: Trace | None = None) -> CalibrationResult | CalibrationFailure:
    """Find the board in a BGR image and return its homography (board mm -> image px) or why not.

    ``trace`` (debugging) receives every candidate, fit and decision.
    """
    start = time.perf_counter()
    failure = _check_image(image_bgr)
    if failure:
        return _failed(trace, failure, start)
    rings = find_rings(image_bgr)
    if trace is not None:
        trace.candidates = rings
        trace.note(
            "rings", count=len(rings), scores=[r.score for r in rings], dashed=[r.dashed for r in rings]
        )
    if not rings:
        return _failed(trace, "no board found", start)
    reasons = []
    for index, ring in enumerate(rings[:MAX_CANDIDATES]):
        outcome = _calibrate_ring(image_bgr, ring, start, _Step(trace, index))
        if outcome == "no board found" and ring.treble is not None:
            # The treble outline may be wrong (a dart, glare): retry from the double ring alone.
            outcome = _calibrate_ring(image_bgr, replace(ring, treble=None), start, _Step(trace, index))
        if isinstance(outcome, CalibrationResult):
            if trace is not None:
                trace.note("result", candidate=index, confidence=outcome.confidence)
            return outcome
        reasons.append(outcome)
    # The best candidate's reason is the most informative one.
    return _failed(trace, reasons[0], start)


def _failed(trace: Trace | None, reason: str, start: float) -> CalibrationFailure:
    if trace is not None:
        trace.note("failure", reason=reason)
    return CalibrationFailure(reason, _ms(start))


@dataclass(frozen=True)
class _Step:
    """Where a candidate's decisions go (nowhere without a trace)."""

    trace: Trace | None
    candidate: int

    def check(self, name: str, passed: bool, reason: str = "", **values: float | str) -> bool:
        """Note a check of the candidate and return whether it passed."""
        if self.trace is not None:
            self.trace.note(name, candidate=self.candidate, passed=passed, reason=reason, **values)
        return passed

    def fitted(self, fit: Fit) -> None:
        """Keep a fit for the debug pictures."""
        if self.trace is not None:
            self.trace.fits.append((self.candidate, fit))


def _check_image(image: np.ndarray) -> str | None:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        return "expected an 8-bit BGR image"
    if min(image.shape[:2]) < MIN_IMAGE_SIDE:
        return "image too small"
    return None


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _calibrate_ring(
    image: np.ndarray, ring: RingCandidate, start: float, step: _Step
) -> CalibrationResult | str:
    """Calibrate on one ring candidate; a failure reason (str) if it does not hold up."""
    # The specific reasons are only given for convincing rings: on a wall they would mislead.
    convincing = ring.score >= CONVINCING_RING
    diameter = 2 * np.sqrt(ring.axes[0] * ring.axes[1])
    if not step.check("size", diameter >= MIN_RING_DIAMETER_PX, diameter_px=diameter):
        return "board too small" if convincing else "no board found"
    h_img, w_img = image.shape[:2]
    outside = _outside_fraction(ring, w_img, h_img) if ring.touches_border and convincing else 0.0
    if not step.check("inside the frame", outside == 0.0, outside_fraction=outside):
        return "board partly outside the frame"
    fit, colours = _fit(image, ring, step)
    failure = _check_fit(image, fit, colours, step)
    if failure:
        return failure
    fit_confidence = _evidence(fit) * float(np.clip((colours - 0.3) / 0.4, 0, 1))
    if not step.check("evidence", fit_confidence >= MIN_CONFIDENCE, fit_confidence=fit_confidence):
        return "no board found"
    orientation = choose_twenty(image, fit.H, fit.lens)
    step.check(
        "orientation",
        True,
        certainty=orientation.certainty,
        guessed=orientation.guessed,
        style=orientation.style,
    )
    if orientation.guessed:
        # The 20 assumed closest to image-up: a last resort, reported with a low confidence.
        confidence = min(fit_confidence, GUESSED_CONFIDENCE)
    else:
        confidence = fit_confidence * min(1.0, 0.5 + orientation.certainty)
        if not step.check("confidence", confidence >= MIN_CONFIDENCE, confidence=confidence):
            return "no board found"
    h = orientation.H
    inliers = fit.weight > 0
    error_px = float(np.sqrt(np.mean(fit.residual_px[inliers] ** 2)))
    return CalibrationResult(
        **homography_fields(h, fit.lens),
        error_px=error_px,
        error_mm=_error_mm(fit, h),
        confidence=float(np.clip(confidence, 0.0, 1.0)),
        image_size=(w_img, h_img),
        ms=_ms(start),
        guessed_orientation=orientation.guessed,
        number_style=orientation.style,
    )


def _fit(image: np.ndarray, ring: RingCandidate, step: _Step) -> tuple[Fit, float]:
    """The refined fit of a candidate and its colour strength (see orient.colour_strength)."""
    fit = refine(
        image, initial_homography(image, ring), FINE_SCHEDULE if ring.treble is not None else COARSE_SCHEDULE
    )
    colours = colour_strength(image, fit.H, fit.lens)
    if colours < 0:
        # Red and green swapped: a poor initial rotation converged one segment off. Turn and refit.
        step.check("colours", False, reason="red and green swapped: turned by a segment", strength=colours)
        fit = refine(image, fit.H @ rotation(board.SEGMENT_DEG), FINE_SCHEDULE[1:], fit.lens)
        colours = colour_strength(image, fit.H, fit.lens)
    step.fitted(fit)
    step.check(
        "fit", True, strength=colours, lens_k=fit.lens.k, k_sigma=fit.k_sigma, treble=ring.treble is not None
    )
    return fit, colours


def _check_fit(image: np.ndarray, fit: Fit, colours: float, step: _Step) -> str | None:
    """Why a fit cannot be used (the board leaves the frame, or too blurred), or None."""
    h_img, w_img = image.shape[:2]
    convincing = colours > CONVINCING_COLOURS
    rim = to_image(fit.H, board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 5.0)), fit.lens)
    inside = not ((rim < -0.5) | (rim > [w_img - 0.5, h_img - 0.5])).any()
    if not step.check("rim inside the frame", inside):
        return "board partly outside the frame" if convincing else "no board found"
    # The fit first, the 20 then: the number ring says nothing about a fit that is off (whose failure,
    # "no board found", lets calibrate() retry without the treble outline).
    sigma = blur_sigma_px(image, fit.H, fit.lens)
    sharp = sigma <= MAX_BLUR_PX and sigma / px_per_mm(fit.H) <= MAX_BLUR_MM
    if not step.check("sharpness", sharp, blur_sigma_px=sigma, limit_px=MAX_BLUR_PX):
        return "too blurred" if convincing else "no board found"
    return None


def _outside_fraction(ring: RingCandidate, w: int, h: int) -> float:
    """Fraction of the double ring's ellipse (72 points, every 5 degrees) that lies outside the image."""
    px, py = ellipse_points((ring.centre, ring.axes, ring.angle_deg), 1.0, n=72).T
    return float(np.mean((px < 0) | (py < 0) | (px > w - 1) | (py > h - 1)))


def _evidence(fit: Fit) -> float:
    """How much of the board's structure was found where the homography puts it, in [0, 1].

    A board shows most wires between its black and cream segments (darts and glare hide some); a red/green
    object that merely resembles the rings shows none. The ring edges and the wires between red and green
    (which a fit at the wrong scale misses) must be there too, if less reliably: on small boards the thin
    rings blur into their neighbours (and JPEG halves their colour resolution).
    """
    found = fit.weight > 0.1
    groups = fit.samples.group

    def share(selected: tuple[int, ...]) -> float:
        sel = np.isin(groups, selected)
        return float(found[sel].mean()) if sel.any() else 0.0

    singles_wires, rings, bull = share((6,)), (share((2, 3, 4, 5)) + share((7,))) / 2, share((0, 1))
    score = min(1.0, singles_wires / 0.7) * min(1.0, rings / 0.6) * min(1.0, 0.5 + bull)
    return float(np.clip((score - 0.2) / 0.6, 0.0, 1.0))


def _error_mm(fit: Fit, h: np.ndarray) -> float:
    """Estimated RMS position error (mm) over the board, from the fit's parameter covariance."""
    pts = np.vstack([np.zeros((1, 2)), board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 30.0))])
    img = project(h, pts)
    x = np.column_stack([img, np.ones(len(img))]) @ fit.norm.T
    jac = point_jacobian(x[:, :2] / x[:, 2:3])  # (N, 2, 8) in normalised image units
    cov_img = np.einsum("nip,pq,njq->nij", jac, fit.cov, jac) / fit.norm[0, 0] ** 2  # px^2
    scale = px_per_mm(h)
    # Statistical precision underestimates real errors (edge biases, JPEG): a floor of 0.1 px.
    rms_px = np.sqrt(np.mean(np.trace(cov_img, axis1=1, axis2=2))) + 0.1
    return float(rms_px / scale)
