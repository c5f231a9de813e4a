"""Every row of PROTOCOL.md's REST table, including its errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from tests.signaling.conftest import Harness, ManualClock, answer, candidate, offer


async def test_rest_join_really_joins_and_polling_is_per_role(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    status, body = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"}
    )
    assert status == 200 and body["ok"] and body["stored"] and body["type"] == "cam-joined"
    assert body["resumeToken"]
    assert await desktop.recv() == {"type": "cam-peer-joined", "code": code}
    # The phone's own offer is not read back by the phone (the base server's shared queue was).
    status, body = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(), "source": "phone"}
    )
    assert status == 200 and body == {"ok": True, "stored": True, "delivered": True}
    assert (await desktop.recv())["payload"] == offer()
    status, body = await srv.get(f"/cam/signal/{code}?source=phone")
    assert status == 200 and body == {"ok": True, "messages": []}
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer()})
    await desktop.send({"type": "cam-ice", "code": code, "payload": candidate(1)})
    await asyncio.sleep(0.1)
    status, body = await srv.get(f"/cam/signal/{code}")  # source=phone is the default
    assert [m["type"] for m in body["messages"]] == ["cam-answer", "cam-ice"]
    assert body["messages"][0] == {"type": "cam-answer", "code": code, "payload": answer()}
    # Returned once: the queue is cleared.
    assert (await srv.get(f"/cam/signal/{code}"))[1]["messages"] == []


async def test_long_poll_waits_for_a_message(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    await srv.post(f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"})
    poll = asyncio.create_task(srv.get(f"/cam/signal/{code}?source=phone&wait=5"))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer()})
    status, body = await asyncio.wait_for(poll, 3)
    assert status == 200 and [m["type"] for m in body["messages"]] == ["cam-answer"]
    started = asyncio.get_running_loop().time()
    status, body = await srv.get(f"/cam/signal/{code}?wait=0.5")
    assert body["messages"] == [] and asyncio.get_running_loop().time() - started >= 0.45


async def test_desktop_reads_its_own_queue(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    await srv.post(f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"})
    await desktop.close()
    await asyncio.sleep(0.1)
    await srv.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(), "source": "phone"})
    status, body = await srv.get(f"/cam/signal/{code}?source=desktop", token=code_msg["resumeToken"])
    types = [m["type"] for m in body["messages"]]
    assert types == ["cam-offer"]  # cam-peer-joined already went to the socket


async def test_rest_errors(make_server, clock: ManualClock) -> None:
    srv = await make_server(clock, code_ttl=0.5, max_message_bytes=2048)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    status, body = await srv.post(f"/cam/signal/{code}", {"payload": None, "source": "phone"})
    assert status == 400 and "type" in body["error"]
    status, body = await srv.post(f"/cam/signal/{code}", "{not json")
    assert status == 400 and "malformed JSON" in body["error"]
    status, body = await srv.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": {"sdp": 3}})
    assert status == 400 and "payload" in body["error"]
    status, body = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(), "source": "tv"}
    )
    assert status == 400 and "source" in body["error"]
    status, body = await srv.post("/cam/signal/QQQQQQ", {"type": "cam-offer", "payload": offer()})
    assert status == 404 and body["code"] == "INVALID_CODE"
    big = {"type": "cam-data", "payload": "x" * 4096}
    status, body = await srv.post(f"/cam/signal/{code}", big)
    assert status == 413 and "larger than 2048" in body["error"]
    status, body = await srv.get(f"/cam/signal/{code}?wait=99")
    assert status == 400 and "wait" in body["error"]
    status, body = await srv.get("/cam/signal/QQQQQQ")
    assert status == 404
    clock.advance(0.7)
    status, body = await srv.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer()})
    assert status == 410 and body["code"] == "EXPIRED"
    status, body = await srv.get("/no/such/path")
    assert status == 404 and body["ok"] is False


async def test_unknown_code_lookups_are_rate_limited(make_server) -> None:
    srv = await make_server(unknown_code_per_minute=5)
    desktop, code_msg = await srv.desktop()
    statuses = [(await srv.get(f"/cam/signal/WRONG{i}"))[0] for i in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
    # While limited, even a valid code is refused to this client: guessing stays blind.
    status, body = await srv.get(f"/cam/signal/{code_msg['code']}")
    assert status == 429 and body["code"] == "RATE_LIMITED"
    phone = await srv.ws()
    await phone.send({"type": "cam-join", "code": "NOPE12", "payload": None})
    assert (await phone.recv("cam-error"))["code"] == "RATE_LIMITED"


async def test_calibration_endpoints(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code, token = code_msg["code"], code_msg["resumeToken"]
    status, body = await srv.get(f"/cam/calibration/{code}")
    assert status == 200 and body["ok"] is False and body["message"]
    status, body = await srv.post(f"/cam/calibration/{code}", {"imageSize": {"w": 1, "h": 1}}, token)
    assert status == 400 and "H" in body["error"]
    status, body = await srv.post(f"/cam/calibration/{code}", {"H": [1, 2, "x", 4, 5, 6, 7, 8, 9]}, token)
    assert status == 400 and "9 finite numbers" in body["error"]
    calib = {"H": [2, 0, 10, 0, 2, 20, 0, 0, 1], "imageSize": {"w": 640, "h": 480}, "errorPx": 0.5}
    # Storing a calibration acts for the session: without a role's token it is refused.
    status, body = await srv.post(f"/cam/calibration/{code}", calib)
    assert status == 403 and body["code"] == "INVALID_TOKEN"
    status, body = await srv.post(f"/cam/calibration/{code}", calib, "not-the-token")
    assert status == 403 and body["code"] == "INVALID_TOKEN"
    assert (await srv.get(f"/cam/calibration/{code}"))[1]["ok"] is False
    # The token in the body works too, and is not stored with the calibration.
    status, body = await srv.post(f"/cam/calibration/{code}", {**calib, "resumeToken": token})
    assert status == 200 and body["ok"]
    assert (await srv.get(f"/cam/calibration/{code}")) == (200, {"ok": True, "calibration": calib})
    status, body = await srv.get("/cam/calibration/NOSUCH")
    assert status == 404


async def test_healthz_and_metrics(srv: Harness) -> None:
    status, health = await srv.get("/healthz")
    assert status == 200 and health["ok"] is True
    desktop, code_msg = await srv.desktop()
    phone, _ = await srv.phone(code_msg["code"])
    await phone.send({"type": "cam-offer", "code": code_msg["code"], "payload": offer()})
    await desktop.recv("cam-offer")
    await phone.send({"type": "cam-bogus"})
    await phone.recv("cam-error")
    await asyncio.sleep(0.3)
    async with srv.http.get(srv.url + "/metrics") as resp:
        text = await resp.text()
    assert "dartcam_open_connections 2.0" in text
    assert "dartcam_live_sessions 1.0" in text
    assert 'dartcam_messages_total{outcome="relayed",type="cam-offer"} 1.0' in text
    assert 'dartcam_messages_total{outcome="rejected",type="unknown"} 1.0' in text


async def test_body_arriving_in_several_parts(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    _, joined = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"}
    )
    message = {
        "type": "cam-offer",
        "payload": offer(4),
        "source": "phone",
        "resumeToken": joined["resumeToken"],
    }
    body = json.dumps(message).encode()

    async def in_two_parts() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        await asyncio.sleep(0.2)  # the second half arrives later, as packets on a network do
        yield body[len(body) // 2 :]

    async with srv.http.post(f"{srv.url}/cam/signal/{code}", data=in_two_parts()) as resp:
        assert resp.status == 200, await resp.text()
    assert (await desktop.recv("cam-offer"))["payload"] == offer(4)


async def test_rest_phone_that_polls_again_is_back(make_server, clock: ManualClock) -> None:
    # A REST phone counts as present for long_poll_max + rest_presence_slack after its last poll.
    srv = await make_server(clock, long_poll_max=0.1, grace=1.0)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    await srv.post(f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"})
    await desktop.recv("cam-peer-joined")
    clock.advance(0.1 + srv.server.config.rest_presence_slack + 0.1)
    assert (await desktop.recv("cam-peer-left", timeout=15))["role"] == "phone"
    status, _ = await srv.get(f"/cam/signal/{code}?source=phone")
    assert status == 200
    # Past the grace period (a few sweeps later) the session lives on, because the phone came back.
    clock.advance(1.5)
    await asyncio.sleep(0.5)
    await desktop.send({"type": "cam-offer", "code": code, "payload": offer(6)})
    status, body = await srv.get(f"/cam/signal/{code}?source=phone")
    assert status == 200 and [m["payload"] for m in body["messages"]] == [offer(6)]
