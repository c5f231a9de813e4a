"""The score interfaces over a real server and real clients: the exact JSON of each wire format for a
scripted visit (a treble, the bull, a miss, then the takeout), the pushes, the HTTP endpoints, CORS."""

from __future__ import annotations

import asyncio
import time

from tests.scoring.clients import BULL, MISS6, T20, board_state, next_of, receive, visit


async def test_board_manager_events_push_the_state_of_a_whole_visit(served):
    async with served.session.ws_connect(served.ws_base + "/api/events?client=x") as ws:
        assert await next_of(ws, "state") == board_state("Throw", "Started", [])
        darts = []
        for position in [(0.0, -103.0), (0.0, 0.0), (190.0, 0.0)]:
            darts.append(served.keeper.throw(position).throw)
            state = await next_of(ws, "state")
            assert state["numThrows"] == len(darts)
        assert state == board_state("Takeout", "Throw detected", [T20, BULL, MISS6])
        served.keeper.takeout_started()
        assert await next_of(ws, "state") == board_state(
            "Takeout in progress", "Takeout started", [T20, BULL, MISS6]
        )
        served.keeper.takeout_finished()
        assert await next_of(ws, "state") == board_state("Throw", "Takeout finished", [])


async def test_board_manager_events_greet_with_cam_state_and_push_stats_every_second(served):
    async with served.session.ws_connect(served.ws_base + "/api/events") as ws:
        await next_of(ws, "state")
        assert await next_of(ws, "cam_state") == {"isOpened": True, "isRunning": True}
        assert await next_of(ws, "stats") == {"fps": 29.8, "resolution": {"width": 1280, "height": 720}}
        began = time.monotonic()
        await next_of(ws, "stats", timeout=1.5)
        assert time.monotonic() - began < 1.5


async def test_the_app_provider_pushes_each_dart_with_its_unique_id(served):
    async with served.session.ws_connect(served.ws_base + "/autoscore") as ws:
        await asyncio.sleep(0.1)  # the server has registered the client
        t20, bull, miss = visit(served.keeper)
        frames = [await receive(ws) for _ in range(3)]
    assert frames == [
        {
            "type": "dart",
            "value": 60,
            "ring": "TRIPLE",
            "sector": 20,
            "mult": 3,
            "confidence": 0.93,
            "id": t20.id,
        },
        {
            "type": "dart",
            "value": 50,
            "ring": "INNER_BULL",
            "sector": 25,
            "mult": 2,
            "confidence": 0.81,
            "id": bull.id,
        },
        {
            "type": "dart",
            "value": 0,
            "ring": "MISS",
            "sector": 0,
            "mult": 0,
            "confidence": 0.7,
            "id": miss.id,
        },
    ]
    assert len({t20.id, bull.id, miss.id}) == 3


async def test_the_plain_scores_socket_pushes_each_dart(served):
    async with served.session.ws_connect(served.ws_base + "/scores") as ws:
        await asyncio.sleep(0.1)
        t20, bull, miss = visit(served.keeper)
        frames = [await receive(ws) for _ in range(3)]
    assert frames == [
        {
            "score": "T20",
            "position": {"x": 640.5, "y": 312.0},
            "confidence": 0.93,
            "camera": 0,
            "timestamp": int(t20.t * 1000),
        },
        {
            "score": "BULL",
            "position": {"x": 700.0, "y": 400.0},
            "confidence": 0.81,
            "camera": 0,
            "timestamp": int(bull.t * 1000),
        },
        {"score": "MISS", "position": None, "confidence": 0.7, "camera": 0, "timestamp": int(miss.t * 1000)},
    ]


async def test_a_takeout_or_reset_sends_nothing_on_the_dart_sockets(served):
    async with served.session.ws_connect(served.ws_base + "/autoscore") as ws:
        await asyncio.sleep(0.1)
        served.keeper.throw((0.0, -103.0))
        served.keeper.reset()
        served.keeper.throw((0.0, 0.0))
        assert (await receive(ws))["value"] == 60
        assert (await receive(ws))["value"] == 50


async def test_http_reads(served):
    s, base = served.session, served.base
    async with s.get(base + "/api/version") as r:
        assert r.status == 200 and (await r.text()).startswith("1.")
    async with s.get(base + "/api/ping") as r:
        assert await r.text() == "pong"
    async with s.get(base + "/api/config") as r:
        config = await r.json()
        assert config["cam"] == {"width": 1280, "height": 720, "fps": 29.8}
        assert {"auth", "motion"} <= set(config)
    async with s.get(base + "/api/host") as r:
        assert {"clientVersion", "platform", "os", "hostname"} <= set(await r.json())
    visit(served.keeper)
    async with s.get(base + "/api/state") as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert await r.json() == board_state("Takeout", "Throw detected", [T20, BULL, MISS6])


async def test_http_commands_start_stop_reset_and_recalibrate(served):
    s, base = served.session, served.base

    async def state() -> dict:
        async with s.get(base + "/api/state") as r:
            return await r.json()

    for stop, start in [("/api/stop", "/api/start"), ("/api/detection/stop", "/api/detection/start")]:
        async with s.put(base + stop) as r:
            assert (r.status, await r.json()) == (200, {})
        assert await state() == board_state("Stopped", "Stopped", [], running=False)
        async with s.put(base + start) as r:
            assert r.status == 200
        assert await state() == board_state("Throw", "Started", [])
    served.keeper.throw((0.0, -103.0))
    async with s.post(base + "/api/reset") as r:
        assert (r.status, await r.json()) == (200, {})
    assert await state() == board_state("Throw", "Manual reset", [])
    async with s.post(base + "/api/config/calibration/auto") as r:
        assert (r.status, await r.json()) == (200, {})


async def test_cors_preflight_is_answered_for_any_path(served):
    headers = {
        "Origin": "http://scoreboard.test",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    async with served.session.options(served.base + "/api/start", headers=headers) as r:
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "PUT" in r.headers["Access-Control-Allow-Methods"]
        assert r.headers["Access-Control-Allow-Headers"] == "content-type"


async def test_bad_requests_get_clear_errors_and_the_server_goes_on(served):
    s, base = served.session, served.base
    async with s.get(base + "/api/nothing") as r:
        assert r.status == 404
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert await r.json() == {"error": "no such path: GET /api/nothing"}
    async with s.get(base + "/api/reset") as r:
        assert r.status == 405
        assert await r.json() == {"error": "method not allowed here: GET /api/reset"}
    async with s.get(base + "/api/events") as r:  # no WebSocket upgrade
        assert r.status == 400
        assert "WebSocket upgrade" in (await r.json())["error"]
    async with s.ws_connect(served.ws_base + "/autoscore") as ws:
        await ws.send_str("not json at all")
        await ws.send_bytes(b"\x00\xff")
        await asyncio.sleep(0.1)
        served.keeper.throw((0.0, 0.0))
        assert (await receive(ws))["ring"] == "INNER_BULL"
    async with s.get(base + "/api/ping") as r:
        assert await r.text() == "pong"
