"""The agent calibrates the board it receives: a `calibrated` event with the right homography, the
phone gets `cam-calibration`, the server stores it, and the frame dump writes overlays."""

from __future__ import annotations

import json

import aiohttp
import cv2
import numpy as np

from desktop_receiver.calibration.runner import CalibrationOptions
from desktop_receiver.media.dump import DumpOptions
from desktop_receiver.simphone import SourceOptions
from tests.receiver.conftest import agent_config, ws_url_of
from tests.renderer import load_renderer


def board_points() -> np.ndarray:
    """Points of the board plane up to r = 170 mm."""
    radii, angles = np.meshgrid(np.linspace(0, 170, 8), np.radians(np.arange(0, 360, 30)))
    return np.stack([radii.ravel() * np.sin(angles.ravel()), -radii.ravel() * np.cos(angles.ravel())], axis=1)


def project(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), h).reshape(-1, 2)


async def test_agent_calibrates_received_frames(server, make_agent, make_phone, tmp_path) -> None:
    rb = load_renderer()
    params = rb.RenderParams(width=640, height=480, tilt_deg=35, roll_deg=8, fill=0.8, noise_sigma=1.0)
    image, true_h = rb.render(params)
    still = tmp_path / "board.png"
    cv2.imwrite(str(still), image)
    dump_dir = tmp_path / "dump"
    config = agent_config(
        server.ws_url,
        calibration=CalibrationOptions(every_s=0.3),
        dump=DumpOptions(dump_dir, every=5, max_files=4),
        stats_interval=0.5,
    )
    agent, events = await make_agent(config)
    phone = await make_phone(
        ws_url_of(agent),
        agent.code,
        source=SourceOptions(source=str(still), width=640, height=480, stamp=False),
    )
    calibrated = await events.wait("calibrated", lambda e: e.H is not None, timeout=60)
    h = np.array(calibrated.H).reshape(3, 3)
    error = np.linalg.norm(project(h, board_points()) - project(true_h, board_points()), axis=1)
    # Through a video codec at 640x480: a few pixels at most anywhere on the board.
    assert error.max() < 4.0, error.max()
    assert (calibrated.width, calibrated.height) == (640, 480) and calibrated.confidence > 0.5
    assert calibrated.distortion["model"] == "division" and calibrated.guessed_orientation is False
    sent = await phone.from_desktop.get()
    assert sent["type"] == "cam-calibration"
    assert set(sent["payload"]) >= {"H", "imageSize", "errorPx", "createdAt", "distortion"}
    assert sent["payload"]["imageSize"] == {"w": 640, "h": 480}
    url = f"{server.http_url}/cam/calibration/{agent.code}"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        stored = await resp.json()
    assert stored["ok"] is True and len(stored["calibration"]["H"]) == 9
    # The dump writes an overlay beside each frame once the board is calibrated.
    await events.wait("stats", timeout=30, count=2)
    records = [json.loads(line) for line in (dump_dir / "frames.jsonl").read_text().splitlines()]
    with_overlay = [r for r in records if r["overlay"]]
    assert with_overlay, records
    assert all((dump_dir / r["overlay"]).exists() for r in with_overlay)
    assert len(records) <= 4
