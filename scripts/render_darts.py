"""3-D darts for the synthetic board renderer (render_board.py): geometry, shading, shadow and ground truth.

A dart is a steel point, a barrel, a shaft and a flight (two crossed planes) along one axis, stuck in the
board at a known point and angle. Its surfaces are polygons in board millimetres (x right, y down, z into
the wall: the camera is at z < 0), projected by the camera's 3x4 matrix, filled back to front and lit by one
light that also throws a soft shadow on the board plane. They are drawn into the ideal (pinhole) image;
render_board applies the lens afterwards, so the darts see the same distortion as the board.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from desktop_receiver.calibration import board  # noqa: E402
from desktop_receiver.calibration.homography import project  # noqa: E402
from desktop_receiver.calibration.lens import Lens  # noqa: E402

FACETS = 12  # around a cylinder
POINT_RADIUS_MM = 0.35  # the steel point's radius where it enters the board (1 mm where the barrel starts)
SHIFT = 4  # cv2.fillPoly sub-pixel bits
STEEL = (200, 202, 205)
BARRELS = ((150, 152, 156), (95, 98, 104), (60, 62, 66), (70, 150, 200))  # tungsten, dark, black, brass
SHAFTS = ((30, 30, 32), (220, 220, 225), (40, 40, 190), (180, 110, 30), (60, 170, 60))
FLIGHTS = ((40, 40, 200), (60, 150, 40), (200, 90, 20), (30, 200, 230), (30, 30, 30), (230, 230, 235))


@dataclass(frozen=True)
class Dart:
    """One dart stuck in the board; lengths in mm along its axis, colours BGR."""

    tip: tuple[float, float]  # board mm where the point enters the board
    tilt_deg: float = 15.0  # angle between the dart's axis and the board's normal
    azimuth_deg: float = 0.0  # board angle (clockwise from the 20) the rear leans to: 0 = up
    spin_deg: float = 0.0  # turn of the flight's cross about the axis
    point_mm: float = 30.0
    embed_mm: float = 20.0  # of the point, inside the board
    barrel_mm: float = 45.0
    barrel_radius_mm: float = 3.3
    shaft_mm: float = 35.0
    flight_mm: float = 40.0  # width of the flight across both wings
    flight_length_mm: float = 35.0
    barrel_colour: tuple[int, int, int] = BARRELS[0]
    shaft_colour: tuple[int, int, int] = SHAFTS[0]
    flight_colour: tuple[int, int, int] = FLIGHTS[0]

    def axis(self) -> np.ndarray:
        """Unit vector from the tip towards the flight (out of the board: z < 0)."""
        t, a = math.radians(self.tilt_deg), math.radians(self.azimuth_deg)
        return np.array([math.sin(t) * math.sin(a), -math.sin(t) * math.cos(a), -math.cos(t)])

    def rear(self) -> np.ndarray:
        """Board mm (x, y, z) of the flight's rear end on the axis."""
        length = self.point_mm - self.embed_mm + self.barrel_mm + self.shaft_mm + 0.15 * self.flight_length_mm
        return np.array([*self.tip, 0.0]) + length * self.axis()


@dataclass(frozen=True)
class DartTruth:
    """A rendered dart's tip on the board (mm) and in the observed image (px, through the lens)."""

    dart: Dart
    tip_mm: tuple[float, float]
    tip_px: tuple[float, float]
    rear_px: tuple[float, float]  # the flight's rear end, observed


def random_dart(rng: np.random.Generator) -> Dart:
    """A dart somewhere inside the double ring, leaning up and out as thrown darts do, of varied make."""
    r, a = rng.uniform(0, board.R_DOUBLE_OUTER), rng.uniform(0, 360)
    tip = board.polar_to_board(r, a)
    return Dart(
        tip=(float(tip[0]), float(tip[1])),
        tilt_deg=float(rng.uniform(5, 30)),
        azimuth_deg=float(rng.uniform(-60, 60)),
        spin_deg=float(rng.uniform(0, 90)),
        point_mm=float(rng.uniform(26, 34)),
        embed_mm=float(rng.uniform(17, 22)),
        barrel_mm=float(rng.uniform(38, 52)),
        barrel_radius_mm=float(rng.uniform(2.8, 3.8)),
        shaft_mm=float(rng.uniform(28, 48)),
        flight_mm=float(rng.uniform(34, 44)),
        flight_length_mm=float(rng.uniform(30, 40)),
        barrel_colour=_pick(rng, BARRELS),
        shaft_colour=_pick(rng, SHAFTS),
        flight_colour=_pick(rng, FLIGHTS),
    )


WIRE_MARGIN_MM = 0.05  # past the wire's edge: off one wire at a crossing must not be back in the other


def beside_wires(tip: tuple[float, float]) -> tuple[float, float]:
    """Where a dart thrown at the board point ``tip`` (mm) sticks: a steel point that meets a wire slides
    off it to the side it came down on (or bounces out); it never enters the board in the wire, nor with its
    steel over the wire's. So a tip closer to a wire's centre line than half the wire's width plus the
    point's radius moves, across it, to where the point touches the wire; any other stays. (random_dart
    draws points anywhere: one on a wire's centre line has no right score.)"""
    p = np.asarray(tip, dtype=np.float64)
    edge = board.WIRE_WIDTH_MM / 2 + POINT_RADIUS_MM
    for _ in range(4):
        d, normal = board.nearest_wire(p)
        if abs(d) >= edge:
            break
        p = p + (math.copysign(edge + WIRE_MARGIN_MM, d) - d) * normal
    return float(p[0]), float(p[1])


def _pick(rng: np.random.Generator, colours: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    return colours[int(rng.integers(0, len(colours)))]


@dataclass(frozen=True)
class _Poly:
    pts: np.ndarray  # (n, 3) board mm
    colour: tuple[int, int, int]
    normal: np.ndarray | None  # outward; None: two-sided (flights)
    shine: float  # specular strength, 0 for plastic
    far: bool  # part far from the board (soft shadow)


def _frame(axis: np.ndarray, spin_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to ``axis`` and to each other, turned by ``spin_deg``."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    s = math.radians(spin_deg)
    return math.cos(s) * e1 + math.sin(s) * e2, -math.sin(s) * e1 + math.cos(s) * e2


def _polygons(d: Dart) -> list[_Poly]:
    """The dart's surfaces: frusta (point, barrel, shaft) as facets, the barrel's end discs, four wings."""
    u = d.axis()
    e1, e2 = _frame(u, d.spin_deg)
    tip = np.array([*d.tip, 0.0])
    out = d.point_mm - d.embed_mm
    rb = d.barrel_radius_mm
    b0, b1 = out, out + d.barrel_mm
    s1 = b1 + d.shaft_mm
    profile = [  # (s from, s to, radius from, radius to, colour, shine, far)
        (0.0, out, POINT_RADIUS_MM, 1.0, STEEL, 0.8, False),
        (b0, b0 + 0.15 * d.barrel_mm, 0.55 * rb, rb, d.barrel_colour, 0.6, False),
        (b0 + 0.15 * d.barrel_mm, b1 - 0.1 * d.barrel_mm, rb, rb, d.barrel_colour, 0.6, False),
        (b1 - 0.1 * d.barrel_mm, b1, rb, 0.7 * rb, d.barrel_colour, 0.6, False),
        (b1, s1, 1.6, 1.3, d.shaft_colour, 0.2, True),
    ]
    theta = np.radians(np.arange(FACETS + 1) * 360.0 / FACETS)
    ring = np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2  # (FACETS + 1, 3)
    polys = []
    for sa, sb, ra, rb_, colour, shine, far in profile:
        a, b = tip + sa * u + ra * ring, tip + sb * u + rb_ * ring
        for j in range(FACETS):
            mid = (ring[j] + ring[j + 1]) / 2
            polys.append(_Poly(np.array([a[j], a[j + 1], b[j + 1], b[j]]), colour, mid, shine, far))
    for s, radius, normal in ((b0, 0.55 * rb, -u), (b1, 0.7 * rb, u)):
        polys.append(_Poly(tip + s * u + radius * ring[:-1], d.barrel_colour, normal, 0.6, False))
    fl, w = d.flight_length_mm, d.flight_mm / 2
    f0, f1 = s1 - 0.85 * fl, s1 + 0.15 * fl
    for side in (e1, -e1, e2, -e2):
        wing = [f0 * u, (f0 + 0.55 * fl) * u + w * side, f1 * u + w * side, f1 * u]
        polys.append(_Poly(tip + np.array(wing), d.flight_colour, None, 0.0, True))
    return polys


def light_direction(rng: np.random.Generator) -> np.ndarray:
    """A light in front of the board and above it (ceiling light): unit vector from the light to the board."""
    v = np.array([rng.uniform(-0.5, 0.5), rng.uniform(0.2, 0.8), 1.0])
    return v / np.linalg.norm(v)


def draw_darts(
    img: np.ndarray,
    proj: np.ndarray,
    darts: tuple[Dart, ...],
    light: np.ndarray,
    lens: Lens | None,
) -> tuple[DartTruth, ...]:
    """Draw ``darts`` and their shadows into the ideal image ``img`` (in place); returns their truth.

    ``proj``: the camera's 3x4 matrix, board mm (x, y, z) -> image px; ``lens``: the lens the frame is
    then seen through (None: none), for the observed tip positions.
    """
    polys = [q for d in darts for q in _polygons(d)]
    h = proj[:, [0, 1, 3]]
    _draw_shadow(img, h, polys, light, _px_per_mm(h, darts))
    centre = -np.linalg.inv(proj[:, :3]) @ proj[:, 3]  # the camera's centre in board mm
    depth = [float(proj[2] @ np.append(q.pts.mean(axis=0), 1.0)) for q in polys]
    for i in np.argsort(depth)[::-1]:
        q = polys[i]
        view = centre - q.pts.mean(axis=0)
        view /= np.linalg.norm(view)
        normal = q.normal
        if normal is None:  # a two-sided flight: light the side the camera sees
            normal = np.cross(q.pts[1] - q.pts[0], q.pts[3] - q.pts[0])
            normal = normal / np.linalg.norm(normal) * np.sign(normal @ view)
        elif normal @ view <= 0:
            continue
        colour = _shade(q, normal, view, light)
        pts = _project3(proj, q.pts)
        cv2.fillPoly(img, [np.round(pts * 2**SHIFT).astype(np.int32)], colour, cv2.LINE_AA, SHIFT)
    return tuple(_truth(d, proj, lens) for d in darts)


def _shade(q: _Poly, normal: np.ndarray, view: np.ndarray, light: np.ndarray) -> tuple[float, ...]:
    """Ambient + diffuse + a specular highlight for metal."""
    diffuse = max(0.0, float(-light @ normal))
    mirrored = light - 2 * (light @ normal) * normal
    spec = q.shine * max(0.0, float(mirrored @ view)) ** 12
    return tuple(min(255.0, c * (0.35 + 0.75 * diffuse) + 255 * spec) for c in q.colour)


def _project3(proj: np.ndarray, pts: np.ndarray) -> np.ndarray:
    hom = np.column_stack([pts, np.ones(len(pts))]) @ proj.T
    return hom[:, :2] / hom[:, 2:3]


def _px_per_mm(h: np.ndarray, darts: tuple[Dart, ...]) -> float:
    if not darts:
        return 1.0
    tip = np.array([darts[0].tip])
    return float(np.linalg.norm(project(h, tip + [1.0, 0]) - project(h, tip)))


def _draw_shadow(img: np.ndarray, h: np.ndarray, polys: list[_Poly], light: np.ndarray, scale: float) -> None:
    """Darken the board where the light's rays through the darts meet it; softer far from the board."""
    masks = {far: np.zeros(img.shape[:2], np.float32) for far in (False, True)}
    for q in polys:
        on_board = q.pts[:, :2] - (q.pts[:, 2:3] / light[2]) * light[:2]
        pts = project(h, on_board)
        cv2.fillPoly(masks[q.far], [np.round(pts * 2**SHIFT).astype(np.int32)], 1.0, cv2.LINE_AA, SHIFT)
    shadow = np.maximum(
        cv2.GaussianBlur(masks[False], (0, 0), max(0.5, 0.8 * scale)),
        cv2.GaussianBlur(masks[True], (0, 0), max(0.8, 2.5 * scale)),
    )
    img[:] = (img * (1 - 0.45 * np.clip(shadow, 0, 1))[..., None]).astype(np.uint8)


def _truth(d: Dart, proj: np.ndarray, lens: Lens | None) -> DartTruth:
    ideal = _project3(proj, np.array([[*d.tip, 0.0], d.rear()]))
    seen = lens.distort(ideal) if lens is not None else ideal
    return DartTruth(d, d.tip, (float(seen[0, 0]), float(seen[0, 1])), (float(seen[1, 0]), float(seen[1, 1])))
