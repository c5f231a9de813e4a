"""The standard steel-tip dartboard: the one place that knows its geometry and colours.

Board coordinates are millimetres with the origin at the centre of the bull, +x to the right, +y downward
(as in images) and the 20 segment at -y (see PROTOCOL.md, "Board coordinates"). Board angles are measured
clockwise from the top (12 o'clock), in degrees, so a point at radius r and angle a is
(r sin a, -r cos a).
"""

from __future__ import annotations

import numpy as np

# The standard (WDF/BDO rules) fixes the outside edge of the outer double and treble wires (170 and 107
# mm from the centre), the inside widths of the double and treble rings (8 mm between their wires) and
# the inside diameters of the bulls (12.7 and 31.8 mm). The calibration's four points are on the outside
# of the double wire (OUTER_DOUBLE_WIRE_MM); every other radius here is the centre line of a wire: where
# the edges that the fit measures lie (the colour boundary under the wire) and where one score ends and
# the next begins. Modelling the colour edges at 170, 162, 107 and 99 mm instead shrank every fit of a
# real board by about one wire width (keypoints 1.5-1.9 mm inside the labelled wire).
WIRE_WIDTH_MM = 1.2  # round wire of a modern board; the bias on the labelled photos is least here
OUTER_DOUBLE_WIRE_MM = 170.0
BOARD_RADIUS_MM = 225.5  # the sisal face: 451 mm across; nothing sticks beyond it
OUTER_TREBLE_WIRE_MM = 107.0
RING_INSIDE_WIDTH_MM = 8.0
R_INNER_BULL = 12.7 / 2 + WIRE_WIDTH_MM / 2
R_OUTER_BULL = 31.8 / 2 + WIRE_WIDTH_MM / 2
R_TREBLE_OUTER = OUTER_TREBLE_WIRE_MM - WIRE_WIDTH_MM / 2
R_TREBLE_INNER = R_TREBLE_OUTER - WIRE_WIDTH_MM - RING_INSIDE_WIDTH_MM
R_DOUBLE_OUTER = OUTER_DOUBLE_WIRE_MM - WIRE_WIDTH_MM / 2
R_DOUBLE_INNER = R_DOUBLE_OUTER - WIRE_WIDTH_MM - RING_INSIDE_WIDTH_MM
RING_RADII = (R_INNER_BULL, R_OUTER_BULL, R_TREBLE_INNER, R_TREBLE_OUTER, R_DOUBLE_INNER, R_DOUBLE_OUTER)
# The middles of the coloured rings (103 and 166 mm): where their colour is read, clear of both wires.
R_TREBLE_MIDDLE = (R_TREBLE_INNER + R_TREBLE_OUTER) / 2
R_DOUBLE_MIDDLE = (R_DOUBLE_INNER + R_DOUBLE_OUTER) / 2

# Beyond the scoring area: the number ring (a wire ring carrying the numbers) and the board's edge.
R_NUMBER_INNER = 183.0
R_NUMBER_OUTER = 208.0
R_BOARD_EDGE = 225.5

SEGMENTS = (20, 1, 18, 4, 13, 6, 10, 15, 2, 17, 3, 19, 7, 16, 8, 11, 14, 9, 12, 5)
N_SEGMENTS = len(SEGMENTS)
SEGMENT_DEG = 360.0 / N_SEGMENTS  # 18; segment k is centred on board angle k * SEGMENT_DEG
# The red/green (and black/cream) pattern repeats every two segments, so it fixes the board's rotation
# only modulo 36 degrees: COLOUR_ROTATIONS rotations of the board look alike in colour.
COLOUR_PERIOD_SEGMENTS = 2
COLOUR_PERIOD_DEG = COLOUR_PERIOD_SEGMENTS * SEGMENT_DEG
COLOUR_ROTATIONS = N_SEGMENTS // COLOUR_PERIOD_SEGMENTS

# BGR colours of a typical board under neutral light. Even segment indices (20, 18, 13, ...) are black
# with red double/treble; odd ones (1, 4, 6, ...) are cream with green double/treble.
BLACK = (28, 28, 30)
CREAM = (170, 215, 232)
RED = (45, 40, 200)
GREEN = (70, 140, 30)
WIRE = (185, 188, 190)
SURROUND = (22, 22, 24)
NUMBER = (225, 228, 230)

# DeepDarts' four calibration points: the outer double wire on these segment boundaries.
CALIBRATION_BOUNDARIES = ((5, 20), (13, 6), (17, 3), (8, 11))


def polar_to_board(r: np.ndarray | float, angle_deg: np.ndarray | float) -> np.ndarray:
    """Board point(s) (..., 2) in mm at radius ``r`` and board angle ``angle_deg`` (clockwise from top)."""
    a = np.radians(angle_deg)
    r = np.asarray(r, dtype=np.float64)
    return np.stack(np.broadcast_arrays(r * np.sin(a), -r * np.cos(a)), axis=-1)


def board_to_polar(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radius (mm) and board angle in [0, 360) of board point(s) ``xy`` (..., 2), in float64 unless ``xy``
    is already a floating-point array (a float32 texture grid stays float32)."""
    xy = np.asarray(xy)
    if not np.issubdtype(xy.dtype, np.floating):
        xy = xy.astype(np.float64)
    r = np.hypot(xy[..., 0], xy[..., 1])
    angle = np.degrees(np.arctan2(xy[..., 0], -xy[..., 1])) % 360.0
    return r, angle


def segment_index(angle_deg: np.ndarray | float) -> np.ndarray:
    """Index into SEGMENTS of the segment containing board angle ``angle_deg`` (20 spans -9..+9 degrees)."""
    return (np.floor((np.asarray(angle_deg) + SEGMENT_DEG / 2) / SEGMENT_DEG).astype(int)) % N_SEGMENTS


def wire_angle(index: np.ndarray | int) -> np.ndarray:
    """Board angle of the radial wire between segment ``index`` (into SEGMENTS) and the next one clockwise.

    Not reduced modulo 360: wire_angle(19) is 351, wire_angle(20) 369.
    """
    return (np.asarray(index) + 0.5) * SEGMENT_DEG


def degrees_from_wire(angle_deg: np.ndarray | float) -> np.ndarray:
    """Angle (degrees, in [0, SEGMENT_DEG / 2]) from board angle ``angle_deg`` to the nearest radial wire."""
    from_centre = (np.asarray(angle_deg) + SEGMENT_DEG / 2) % SEGMENT_DEG - SEGMENT_DEG / 2
    return SEGMENT_DEG / 2 - np.abs(from_centre)


def nearest_wire(xy: np.ndarray | tuple[float, float]) -> tuple[float, np.ndarray]:
    """The wire nearest to the board point ``xy`` (mm), where one score ends and the next begins: the signed
    distance (mm) of ``xy`` from its centre line and the unit normal along which that distance grows. The
    ring wires (RING_RADII) and the radial wires between the outer bull and the outer double wire."""
    p = np.asarray(xy, dtype=np.float64)
    r, angle = (float(v) for v in board_to_polar(p))
    ring = min(RING_RADII, key=lambda radius: abs(r - radius))
    best = (r - ring, p / r if r > 0 else np.array([0.0, -1.0]))
    if R_OUTER_BULL <= r <= R_DOUBLE_OUTER:
        w = np.radians(float(wire_angle(round(angle / SEGMENT_DEG - 0.5))))
        normal = np.array([np.cos(w), np.sin(w)])  # clockwise across the wire
        if abs(float(p @ normal)) < abs(best[0]):
            best = (float(p @ normal), normal)
    return best


def boundary_angle(left: int, right: int) -> float:
    """Board angle of the wire between two neighbouring segments, e.g. (5, 20) -> -9 (i.e. 351) degrees."""
    i, j = SEGMENTS.index(left), SEGMENTS.index(right)
    if (i + 1) % N_SEGMENTS == j:
        return float(wire_angle(i) % 360.0)
    if (j + 1) % N_SEGMENTS == i:
        return float(wire_angle(j) % 360.0)
    raise ValueError(f"segments {left} and {right} are not neighbours")


def calibration_points() -> dict[str, np.ndarray]:
    """Board points (mm) of the bull and the four DeepDarts calibration points, keyed as in the CLI's JSON."""
    points = {"bull": np.zeros(2)}
    for left, right in CALIBRATION_BOUNDARIES:
        points[f"{left}/{right}"] = polar_to_board(OUTER_DOUBLE_WIRE_MM, boundary_angle(left, right))
    return points


def is_red_segment(index: np.ndarray | int) -> np.ndarray:
    """True where the segment (index into SEGMENTS) is black with a red double/treble."""
    return np.asarray(index) % COLOUR_PERIOD_SEGMENTS == 0
