"""Automatic scoring in the real agent: a simulated phone streams a rendered visit (y4m) over WebRTC to the
agent with --calibrate --autoscore; its three darts reach every score interface as their clients read them
(exact JSON), then the takeout; with --dump each throw is written for a person to look at."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from desktop_receiver.calibration.runner import CalibrationOptions
from desktop_receiver.media.dump import DumpOptions
from desktop_receiver.scoring import ScoringOptions
from desktop_receiver.simphone import SourceOptions
from tests.receiver.conftest import agent_config, ws_url_of
from tests.scoring.clients import next_of, receive
from tests.scoring.visits import DARTS, LABELS, render_visit, visit

# What each interface says of the visit's darts (S20, S6, S3): §1 segment, §2 ring and points.
BOARD_SEGMENTS = [
    {"name": "S20", "number": 20, "bed": "SingleOuter", "multiplier": 1},
    {"name": "S6", "number": 6, "bed": "SingleInner", "multiplier": 1},
    {"name": "S3", "number": 3, "bed": "SingleOuter", "multiplier": 1},
]
APP_VALUES = [(20, 20), (6, 6), (3, 3)]  # (value, sector)
VISIT_TIMEOUT = 90.0


async def test_a_rendered_visit_is_scored_on_every_interface(server, make_agent, make_phone, tmp_path):
    clip = render_visit.render_visit(visit(still_before_s=3.0, still_between_s=1.5))
    y4m, _ = render_visit.write_clip(clip, tmp_path / "visit")
    width, height = clip.size
    config = agent_config(
        server.ws_url,
        calibration=CalibrationOptions(every_s=0.5),
        scoring=ScoringOptions(board_api="127.0.0.1:0"),
        dump=DumpOptions(tmp_path / "dump", every=1000),
    )
    agent, events = await make_agent(config)
    assert agent.score_server is not None
    base = f"127.0.0.1:{agent.score_server.port}"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"ws://{base}/api/events") as board,
        session.ws_connect(f"ws://{base}/autoscore") as app,
        session.ws_connect(f"ws://{base}/scores") as plain,
    ):
        await asyncio.sleep(0.1)  # the server has registered the clients
        source = SourceOptions(source=str(y4m), width=width, height=height, fps=clip.fps)
        await make_phone(ws_url_of(agent), agent.code, source=source)
        await events.wait("takeout-finished", timeout=VISIT_TIMEOUT)
        app_frames = [await receive(app) for _ in range(3)]
        plain_frames = [await receive(plain) for _ in range(3)]
        states = [await next_of(board, "state", timeout=5) for _ in range(6)]
    throws = [e.throw for e in events.of("throw")]
    assert [t.segment for t in throws] == LABELS
    assert (
        events.names()[-2:] == ["takeout-started", "takeout-finished"] or "takeout-started" in events.names()
    )
    assert app_frames == [
        {
            "type": "dart",
            "value": v,
            "ring": "SINGLE",
            "sector": s,
            "mult": 1,
            "confidence": t.confidence,
            "id": t.id,
        }
        for (v, s), t in zip(APP_VALUES, throws, strict=True)
    ]
    assert plain_frames == [
        {
            "score": t.segment,
            "position": {"x": round(t.image_px[0], 1), "y": round(t.image_px[1], 1)},
            "confidence": t.confidence,
            "camera": 0,
            "timestamp": int(t.t * 1000),
        }
        for t in throws
    ]
    # §1: the state after each change (the greeting first): three darts, the takeout, an empty board.
    thrown = ["Throw detected"] * 3
    assert [s["event"] for s in states] == ["Started", *thrown, "Takeout started", "Takeout finished"]
    full = states[3]
    assert full["status"] == "Takeout" and [t["segment"] for t in full["throws"]] == BOARD_SEGMENTS
    for shown, dart in zip(full["throws"], DARTS, strict=True):
        # Units of the outer double wire (170 mm), y up to the 20: within 6 mm of where the dart is.
        assert (
            abs(shown["coords"]["x"] * 170 - dart.tip[0]) < 6
            and abs(-shown["coords"]["y"] * 170 - dart.tip[1]) < 6
        )
    assert states[-1]["numThrows"] == 0 and states[-1]["status"] == "Throw"
    # The dump: each throw's frames, mask and overlay, listed.
    records = [
        json.loads(line) for line in (tmp_path / "dump" / "throws" / "throws.jsonl").read_text().splitlines()
    ]
    darts = [r for r in records if r["kind"] == "dart"]
    assert [r["segment"] for r in darts] == LABELS
    for record in darts:
        for key in ("before", "after", "mask", "overlay"):
            assert (tmp_path / "dump" / "throws" / record[key]).stat().st_size > 0
