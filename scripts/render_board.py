"""Synthetic dartboard frames with a known homography, for tests, the benchmark and fake-camera clips.

A board texture is drawn once in board millimetres (desktop_receiver.calibration.board holds the geometry),
then warped into a perspective camera (tilt, roll, distance, focal length), composited over a cluttered
wall, and degraded like a phone frame: lighting gradient, glare, colour cast, blur, noise and JPEG.

Importable: ``render(RenderParams) -> (bgr, H_true or None)``, ``render_scene`` (also the truth of the 3-D
darts of scripts/render_darts.py), ``camera_projection`` (the 3x4 camera), ``random_params(seed, ...)``,
``write_y4m(path, frames_or_params, ...)`` (scripts/y4m_io.py writes the file; scripts/render_texture.py
draws the board's texture). Whole visits with darts and hands: scripts/render_visit.py.
CLI: ``python scripts/render_board.py --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from render_darts import Dart, DartTruth, draw_darts, light_direction, random_dart  # noqa: E402
from render_texture import TEXTURE_PX_PER_MM, texture_levels  # noqa: E402
from y4m_io import write_frames  # noqa: E402

from desktop_receiver.calibration import board  # noqa: E402
from desktop_receiver.calibration.homography import project  # noqa: E402
from desktop_receiver.calibration.lens import Lens  # noqa: E402


@dataclass(frozen=True)
class RenderParams:
    """Everything that defines one synthetic frame; the same params always give the same image."""

    seed: int = 0
    width: int = 1280
    height: int = 720
    has_board: bool = True
    tilt_deg: float = 0.0  # angle between the board's axis and the camera's optical axis
    tilt_azimuth_deg: float = 0.0  # direction (in the board plane) of the axis the board is tilted about
    roll_deg: float = 0.0  # rotation about the optical axis; 20 stays roughly up within +-30
    fill: float = 0.6  # vertical extent of the double ring's outer edge / frame height
    offset: tuple[float, float] = (0.0, 0.0)  # position in the free space, [-1, 1]; beyond: partly out
    fov_deg: float = 60.0  # horizontal field of view
    light_gradient: float = 0.3  # 0 = flat lighting
    glare: float = 0.0  # peak brightness added by a specular spot, 0..255
    colour_cast: float = 0.05
    board_colours: float = 0.0  # variation of the board's own colours (other makers, ageing), 0..0.2
    noise_sigma: float = 3.0
    blur_sigma: float = 0.6
    jpeg_quality: int = 85  # 0 = no JPEG round trip
    n_darts: int = 0  # random darts (render_darts.random_dart) unless ``darts`` is given
    darts: tuple[Dart, ...] | None = None  # these darts instead of n_darts random ones
    clutter: int = 12  # number of shapes on the wall
    distractors: bool = False  # red/green rings and discs on the wall
    lens_k: float = 0.0  # radial distortion (lens.Lens, centred): < 0 barrel as in wide-angle webcams
    # How the numbers stand: "radial" (tops outward, the lower half turned over to read from the oche,
    # as on every real board in ../shared/realboards) or "upright" (as the board hangs, older boards).
    numbers: str = "radial"


def random_params(seed: int, width: int = 1280, height: int = 720, has_board: bool = True) -> RenderParams:
    """Draw params spanning a hand-held phone's conditions (tilt <= 60, roll +-30, fill 25-95 %, ...)."""
    rng = np.random.default_rng(seed)
    return RenderParams(
        seed=seed,
        width=width,
        height=height,
        has_board=has_board,
        tilt_deg=float(60.0 * math.sqrt(rng.uniform())),
        tilt_azimuth_deg=float(rng.uniform(0, 360)),
        roll_deg=float(rng.uniform(-30, 30)),
        fill=float(rng.uniform(0.25, 0.95)),
        offset=(float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))),
        fov_deg=float(rng.uniform(50, 75)),
        light_gradient=float(rng.uniform(0, 0.6)),
        glare=float(rng.choice([0.0, rng.uniform(40, 160)])),
        colour_cast=float(rng.uniform(0, 0.12)),
        board_colours=float(rng.uniform(0, 0.15)),
        noise_sigma=float(rng.uniform(1, 6)),
        blur_sigma=float(rng.uniform(0.3, 1.4)),
        jpeg_quality=int(rng.integers(55, 96)),
        n_darts=int(rng.choice([0, 0, 1, 2, 3])),
        clutter=int(rng.integers(4, 30)),
        distractors=bool(rng.uniform() < 0.3),
    )


def camera_projection(p: RenderParams) -> np.ndarray:
    """Board mm (x, y, z; z into the wall) -> homogeneous image px: the 3x4 pinhole camera S K [R | t] placed
    to satisfy tilt, roll, fill and offset (S shifts the principal point to put the board at ``offset``)."""
    f = p.width / 2 / math.tan(math.radians(p.fov_deg) / 2)
    az, tilt = math.radians(p.tilt_azimuth_deg), math.radians(p.tilt_deg)
    rot_tilt, _ = cv2.Rodrigues(np.array([math.cos(az), math.sin(az), 0.0]) * tilt)
    rot_roll, _ = cv2.Rodrigues(np.array([0.0, 0.0, math.radians(p.roll_deg)]))
    rot = rot_roll @ rot_tilt
    ring = board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 2.0))
    target = p.fill * p.height
    dist = f * 2 * board.R_DOUBLE_OUTER / target
    for _ in range(6):
        k = np.array([[f, 0, p.width / 2], [0, f, p.height / 2], [0, 0, 1.0]])
        pose = np.column_stack([rot, [0, 0, dist]])
        pts = project(k @ pose[:, [0, 1, 3]], ring)
        extent = pts.min(axis=0), pts.max(axis=0)
        size = extent[1] - extent[0]
        # Keep the whole double ring inside the frame, even for wide ellipses in a 4:3 frame.
        shrink = max(size[1] / target, size[0] / (0.97 * p.width), size[1] / (0.97 * p.height))
        dist *= shrink
    free = np.array([p.width, p.height]) - size - 4
    want = np.array([p.width, p.height]) / 2 + np.array(p.offset) * np.maximum(free, 0) / 2
    shift = want - (extent[0] + extent[1]) / 2
    proj = np.array([[1, 0, shift[0]], [0, 1, shift[1]], [0, 0, 1.0]]) @ (k @ pose)
    return proj / proj[2, 3]


def camera_homography(p: RenderParams) -> np.ndarray:
    """Board mm -> image px on the board plane z = 0: camera_projection without its z column."""
    return camera_projection(p)[:, [0, 1, 3]]


def _wall(p: RenderParams, rng: np.random.Generator) -> np.ndarray:
    """A painted wall with clutter (posters, shelves, cables, text) behind the board."""
    w, h = p.width, p.height
    base = rng.uniform(60, 220, 3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xx / w - 0.5) * rng.uniform(-0.4, 0.4) + (yy / h - 0.5) * rng.uniform(-0.4, 0.4)
    img = (base[None, None, :] * (1 + ramp[..., None])).astype(np.float32)
    img += rng.normal(0, 4, (h // 8 + 1, w // 8 + 1, 1)).repeat(8, 0).repeat(8, 1)[:h, :w]
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(p.clutter):
        colour = tuple(int(v) for v in rng.uniform(0, 255, 3))
        kind = rng.integers(0, 4)
        x, y = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        s = int(rng.uniform(0.03, 0.3) * h)
        if kind == 0:
            cv2.rectangle(img, (x, y), (x + s, y + int(s * rng.uniform(0.3, 2))), colour, -1)
        elif kind == 1:
            cv2.circle(img, (x, y), s // 2, colour, -1, cv2.LINE_AA)
        elif kind == 2:
            end = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
            cv2.line(img, (x, y), end, colour, int(rng.integers(1, 8)), cv2.LINE_AA)
        else:
            cv2.putText(img, "DART 180", (x, y), cv2.FONT_HERSHEY_SIMPLEX, s / 60, colour, 2, cv2.LINE_AA)
    if p.distractors:
        for _ in range(int(rng.integers(1, 4))):
            centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
            radius = int(rng.uniform(0.05, 0.35) * h)
            axes = (radius, int(radius * rng.uniform(0.5, 1)))
            angle = float(rng.uniform(0, 180))
            for k, colour in enumerate((board.RED, board.GREEN, board.RED, board.CREAM)):
                ax = (max(1, axes[0] * (4 - k) // 4), max(1, axes[1] * (4 - k) // 4))
                cv2.ellipse(img, centre, ax, angle, 0, 360, colour, -1, cv2.LINE_AA)
    return img


@dataclass(frozen=True)
class Scene:
    """A rendered frame with its truth: H (board mm -> ideal image px; None without a board) and the darts."""

    image: np.ndarray
    h: np.ndarray | None
    darts: tuple[DartTruth, ...]


def render(p: RenderParams) -> tuple[np.ndarray, np.ndarray | None]:
    """Render one frame; returns (BGR uint8 image, H_true board mm -> image px, or None without a board)."""
    scene = render_scene(p)
    return scene.image, scene.h


def render_scene(p: RenderParams) -> Scene:
    """Render one frame with its truth (see Scene); the darts are ``p.darts`` or ``p.n_darts`` random ones."""
    rng = np.random.default_rng(p.seed + 7919)
    img = _wall(p, rng)
    h_true, truth = None, ()
    lens = lens_of(p)
    if p.has_board:
        proj = camera_projection(p)
        h_true = proj[:, [0, 1, 3]]
        _draw_surround(img, h_true, rng)
        _composite_board(img, h_true, p, rng)
        darts, light = scene_darts(p)
        truth = draw_darts(img, proj, darts, light, lens)
    if lens is not None:
        # Each observed pixel shows the ideal image at its undistorted position.
        yy, xx = np.mgrid[0 : p.height, 0 : p.width].astype(np.float64)
        ideal = lens.undistort(np.stack([xx, yy], axis=-1)).astype(np.float32)
        img = cv2.remap(img, ideal[..., 0], ideal[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return Scene(_degrade(img, p, rng), h_true, truth)


def scene_darts(p: RenderParams) -> tuple[tuple[Dart, ...], np.ndarray]:
    """The darts of ``p``'s frame (``p.darts`` or ``p.n_darts`` random ones) and the light that casts their
    shadows (render_darts.light_direction)."""
    # Their own generator: the darts do not change the rest of the frame's random draws.
    dart_rng = np.random.default_rng([p.seed, 104_729])
    darts = p.darts if p.darts is not None else tuple(random_dart(dart_rng) for _ in range(p.n_darts))
    return darts, light_direction(dart_rng)


def lens_of(p: RenderParams) -> Lens | None:
    """The lens a frame was rendered through (None: none); ``render``'s H maps to its ideal image."""
    return replace(Lens.none(p.width, p.height), k=p.lens_k) if p.lens_k else None


def _draw_surround(img: np.ndarray, h: np.ndarray, rng: np.random.Generator) -> None:
    """Sometimes a black foam catch ring, sometimes a wooden cabinet back, sometimes nothing."""
    kind = rng.integers(0, 3)
    if kind == 0:
        ring = project(h, board.polar_to_board(rng.uniform(260, 330), np.arange(0, 360, 3.0)))
        cv2.fillPoly(img, [np.round(ring).astype(np.int32)], (25, 25, 28), cv2.LINE_AA)
    elif kind == 1:
        s = rng.uniform(300, 400)
        rect = project(h, np.array([[-s, -s], [s, -s], [s, s], [-s, s]]))
        cv2.fillPoly(img, [np.round(rect).astype(np.int32)], (40, 80, 120), cv2.LINE_AA)


def _composite_board(img: np.ndarray, h: np.ndarray, p: RenderParams, rng: np.random.Generator) -> None:
    """Warp the right mipmap level of ``p``'s board texture into ``img`` (alpha blended, in place).

    ``p.board_colours`` changes the board's colours (per-channel gains and saturation) as boards differ.
    """
    variation = p.board_colours
    jac = _max_scale(h)
    levels = texture_levels(p.numbers)
    k = 0
    while k + 1 < len(levels) and TEXTURE_PX_PER_MM / 2 ** (k + 1) >= 1.5 * jac:
        k += 1
    s = TEXTURE_PX_PER_MM / 2**k
    tex = levels[k]
    c = (tex.shape[0] - 1) / 2
    board_from_tex = np.array([[1 / s, 0, -c / s], [0, 1 / s, -c / s], [0, 0, 1.0]])
    size = (img.shape[1], img.shape[0])
    warped = cv2.warpPerspective(tex, h @ board_from_tex, size, flags=cv2.INTER_LINEAR)
    alpha = warped[..., 3:4].astype(np.float32) / 255
    colours = warped[..., :3].astype(np.float32)
    if variation > 0:
        grey = colours.mean(axis=2, keepdims=True)
        saturation = 1 + rng.uniform(-2, 1) * variation
        gains = 1 + rng.uniform(-variation, variation, 3).astype(np.float32)
        colours = np.clip((grey + saturation * (colours - grey)) * gains, 0, 255)
    img[:] = (colours * alpha + img * (1 - alpha)).astype(np.uint8)


def _max_scale(h: np.ndarray) -> float:
    """Largest image px per board mm over the board (finite differences at a few points)."""
    pts = np.vstack([[[0, 0]], board.polar_to_board(board.R_BOARD_EDGE, np.arange(0, 360, 45.0))])
    a, b, c = project(h, pts), project(h, pts + [1.0, 0]), project(h, pts + [0, 1.0])
    return float(max(np.linalg.norm(b - a, axis=1).max(), np.linalg.norm(c - a, axis=1).max()))


def _degrade(img: np.ndarray, p: RenderParams, rng: np.random.Generator) -> np.ndarray:
    """Lighting gradient, glare, colour cast, blur, sensor noise and JPEG, in the order a camera applies."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    ramp = ((xx - w / 2) * math.cos(a) + (yy - h / 2) * math.sin(a)) / max(w, h)
    gain = 1 + p.light_gradient * 2 * ramp
    vignette = 1 - 0.25 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2
    cast = 1 + rng.uniform(-p.colour_cast, p.colour_cast, 3)
    out = img.astype(np.float32) * (gain * vignette)[..., None] * cast[None, None, :].astype(np.float32)
    if p.glare > 0:
        gx, gy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        sigma = rng.uniform(0.03, 0.12) * h
        out += (p.glare * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * sigma**2)))[..., None]
    if p.blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), p.blur_sigma)
    out += rng.normal(0, p.noise_sigma, out.shape).astype(np.float32)
    out = np.clip(out, 0, 255).astype(np.uint8)
    return jpeg_round_trip(out, p.jpeg_quality)


def jpeg_round_trip(img: np.ndarray, quality: int) -> np.ndarray:
    """``img`` encoded and decoded as a JPEG at ``quality`` (0: unchanged), as a camera's stream is."""
    if quality <= 0:
        return img
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        h, w = img.shape[:2]
        raise RuntimeError(f"cannot JPEG-encode a {w}x{h} frame at quality {quality}")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def clip_params(p: RenderParams, n_frames: int, moving: bool) -> list[RenderParams]:
    """Per-frame params of a clip: a still camera, or one that drifts slowly (a phone on a wobbly stand).

    The scene (wall, darts) stays the same: only the camera moves.
    """
    if not moving:
        return [p] * n_frames
    t = np.arange(n_frames) / 30.0
    return [
        replace(
            p,
            roll_deg=p.roll_deg + 4 * math.sin(0.5 * ti),
            tilt_deg=min(60.0, max(0.0, p.tilt_deg + 5 * math.sin(0.3 * ti))),
            offset=(p.offset[0] + 0.2 * math.sin(0.4 * ti), p.offset[1] + 0.1 * math.cos(0.35 * ti)),
        )
        for ti in t
    ]


def write_y4m(
    path: str | Path,
    frames_or_params: RenderParams | Iterable[np.ndarray],
    n_frames: int = 90,
    moving: bool = False,
    fps: int = 30,
) -> int:
    """Write a YUV4MPEG2 clip (Chromium's --use-file-for-fake-video-capture); returns the frame count.

    ``frames_or_params``: BGR frames of one size (even width and height), or RenderParams from which
    ``n_frames`` frames of a still (``moving=False``) or slowly moving camera are rendered. Raises
    ValueError (and removes the partly written file) without frames, for frames that are not 8-bit BGR,
    of odd width or height (4:2:0 chroma needs even ones), or of different sizes.
    """
    if isinstance(frames_or_params, RenderParams):
        if n_frames < 1:
            raise ValueError(f"a y4m clip needs at least one frame, not n_frames={n_frames}")
        params = clip_params(frames_or_params, n_frames, moving)
        still = None if moving else render(params[0])[0]
        frames: Iterable[np.ndarray] = (still if still is not None else render(q)[0] for q in params)
    else:
        frames = frames_or_params
    return write_frames(path, frames, fps)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: render N seeded frames (PNG + truth.json), and/or a y4m clip."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("out/renders"), help="output directory")
    ap.add_argument("-n", type=int, default=10, help="number of frames to render")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="1280x720", help="WxH")
    ap.add_argument("--no-board", action="store_true", help="render walls without a board")
    ap.add_argument("--y4m", type=Path, help="also write a 1280x720 y4m clip to this path")
    ap.add_argument("--frames", type=int, default=90, help="frames in the y4m clip")
    ap.add_argument("--moving", action="store_true", help="slowly moving camera in the y4m clip")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(args.n):
        p = random_params(args.seed + i, w, h, has_board=not args.no_board)
        scene = render_scene(p)
        name = f"render_{args.seed + i:05d}.png"
        cv2.imwrite(str(args.out / name), scene.image)
        h_true = None if scene.h is None else scene.h.ravel().tolist()
        truth[name] = {"H": h_true, "params": asdict(p), "darts": [asdict(d) for d in scene.darts]}
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1))
    if args.y4m:
        p = replace(random_params(args.seed, 1280, 720), n_darts=0, fill=0.7, offset=(0.0, 0.0))
        n = write_y4m(args.y4m, p, n_frames=args.frames, moving=args.moving)
        print(f"wrote {args.y4m} ({n} frames)")
    print(f"wrote {args.n} frames and truth.json to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
