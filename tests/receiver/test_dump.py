"""The frame dump: files and frames.jsonl agree; --dump-every and --dump-max are honoured."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest

from desktop_receiver.media.dump import INDEX_FILE, DumpOptions, FrameDumper
from desktop_receiver.media.frames import Frame, FrameMeta
from tests.receiver.conftest import agent_config, frames_from


def _frame(index: int) -> Frame:
    image = np.full((48, 64, 3), index % 256, np.uint8)
    meta = FrameMeta(index=index, wall_time=time.time(), width=64, height=48, pts=index * 3000, attempt=1)
    return Frame(image, meta)


def _index(directory) -> list[dict]:
    return [json.loads(line) for line in (directory / INDEX_FILE).read_text().splitlines()]


def _files(directory, ext: str) -> set[str]:
    return {p.name for p in directory.glob(f"*.{ext}")}


@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_every_and_max(tmp_path, fmt):
    dumper = FrameDumper(DumpOptions(tmp_path, fmt=fmt, every=3, max_files=4))
    for i in range(1, 31):
        dumper(_frame(i))
    records = _index(tmp_path)
    assert [r["index"] for r in records] == [19, 22, 25, 28]
    assert {r["file"] for r in records} == _files(tmp_path, fmt)
    for r in records:
        image = cv2.imread(str(tmp_path / r["file"]))
        assert image.shape == (48, 64, 3) and (r["width"], r["height"]) == (64, 48)
        assert abs(int(image[0, 0, 0]) - r["index"]) <= 2 and r["pts"] == r["index"] * 3000


def test_unbounded_appends_and_a_new_run_replaces_the_old(tmp_path):
    dumper = FrameDumper(DumpOptions(tmp_path))
    for i in range(1, 6):
        dumper(_frame(i))
    assert len(_index(tmp_path)) == 5 and len(_files(tmp_path, "png")) == 5
    (tmp_path / "keep.png").write_bytes(b"not ours")
    again = FrameDumper(DumpOptions(tmp_path))
    again(_frame(1))
    assert _files(tmp_path, "png") == {"frame_00000001.png", "keep.png"}  # only files it wrote are gone
    assert [r["index"] for r in _index(tmp_path)] == [1]


def test_bad_options(tmp_path):
    with pytest.raises(ValueError):
        FrameDumper(DumpOptions(tmp_path, fmt="gif"))
    with pytest.raises(ValueError):
        FrameDumper(DumpOptions(tmp_path, max_files=0))


async def test_agent_dump(server, make_agent, make_phone, tmp_path):
    agent, _ = await make_agent(
        agent_config(server.ws_url, dump=DumpOptions(tmp_path, fmt="jpg", every=2, max_files=5))
    )
    await make_phone(server.ws_url, agent.code)
    await frames_from(agent, 30)
    await agent.stop()
    records = _index(tmp_path)
    assert 1 <= len(records) <= 5
    assert {r["file"] for r in records} == _files(tmp_path, "jpg")
    indexes = [r["index"] for r in records]
    assert indexes == sorted(indexes) and all(b - a >= 2 for a, b in zip(indexes, indexes[1:], strict=False))
    assert all((r["width"], r["height"]) == (320, 240) and r["latency_ms"] is not None for r in records)
