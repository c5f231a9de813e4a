"""The simulated phone's cameras (pattern, still image, video file) and its command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from desktop_receiver.media import stamp
from desktop_receiver.simphone import SourceOptions, SyntheticCamera
from tests.receiver.conftest import TIMEOUT, agent_config, frames_from

ROOT = Path(__file__).resolve().parents[2]


def _write_video(path: Path, frames: int = 5) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(frames):
            image = np.full((120, 160, 3), (i * 40) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.mark.parametrize("kind", ["pattern", "image", "video"])
async def test_sources_give_stamped_frames_of_the_asked_size(tmp_path, kind):
    source = "pattern"
    if kind == "image":
        source = str(tmp_path / "still.png")
        cv2.imwrite(source, np.full((100, 150, 3), 90, np.uint8))
    elif kind == "video":
        source = str(tmp_path / "clip.mp4")
        _write_video(Path(source))
    camera = SyntheticCamera(SourceOptions(source, width=320, height=240, fps=60))
    try:
        frames = [await camera.recv() for _ in range(8)]  # more than the clip holds: it loops
    finally:
        camera.stop()
    assert [(f.width, f.height) for f in frames] == [(320, 240)] * 8
    assert [f.pts for f in frames] == [i * 1500 for i in range(8)]
    stamps = [stamp.read_bgr(f.to_ndarray(format="bgr24")) for f in frames]
    assert [s.seq for s in stamps] == list(range(8))


def test_unreadable_image_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        SyntheticCamera(SourceOptions(str(tmp_path / "missing.png")))


async def test_command_line_phone_streams_to_the_agent(server, make_agent):
    agent, events = await make_agent(agent_config(server.ws_url))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "scripts" / "simulate_phone.py"),
        "--server", server.http_url, "--code", agent.code, "--transport", "rest", "--size", "400x300",
        "--fps", "15", "--codec", "h264", "--ice-host", "127.0.0.1", "--duration", "20",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        frames = await frames_from(agent, 5)
        assert frames[-1].image.shape == (300, 400, 3)
        assert (await events.wait("connected")).codec == "H264"
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0 and "leaving after" in err.decode()
