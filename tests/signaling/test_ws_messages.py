"""Every row of PROTOCOL.md's WebSocket message table, over a real socket."""

from __future__ import annotations

import asyncio
import time

from signaling.protocol import CODE_ALPHABET
from tests.signaling.conftest import Harness, ManualClock, answer, candidate, offer


async def test_create_gives_code_expiry_token_and_phone_url(make_server) -> None:
    srv = await make_server(public_url="http://127.0.0.1:9", code_length=7)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    assert len(code) == 7 and set(code) <= set(CODE_ALPHABET)
    assert abs(code_msg["expiresAt"] - (time.time() + 120) * 1000) < 5000
    assert isinstance(code_msg["resumeToken"], str) and len(code_msg["resumeToken"]) >= 16
    assert code_msg["phoneUrl"] == f"http://127.0.0.1:9/mobile-cam.html?code={code}"


async def test_join_tells_both_sides(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    phone, joined = await srv.phone(code_msg["code"].lower())  # codes compare upper-cased
    assert joined["code"] == code_msg["code"] and joined["resumeToken"] != code_msg["resumeToken"]
    peer_joined = await desktop.recv()
    assert peer_joined == {"type": "cam-peer-joined", "code": code_msg["code"]}


async def test_offer_answer_ice_relay_both_ways_verbatim(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    await desktop.recv("cam-peer-joined")
    await phone.send({"type": "cam-offer", "code": code, "payload": offer(1)})
    assert await desktop.recv() == {"type": "cam-offer", "code": code, "payload": offer(1)}
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(2)})
    assert await phone.recv() == {"type": "cam-answer", "code": code, "payload": answer(2)}
    for i in range(3):
        await phone.send({"type": "cam-ice", "code": code, "payload": candidate(i)})
    await phone.send({"type": "cam-ice", "code": code, "payload": None})
    await phone.send({"type": "cam-ice", "code": code, "payload": {"candidate": ""}})
    got = [await desktop.recv() for _ in range(5)]
    assert [m["payload"] for m in got] == [candidate(0), candidate(1), candidate(2), None, {"candidate": ""}]


async def test_calibration_relayed_and_stored(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    calib = {"H": [1, 0, 640, 0, 1, 360, 0, 0, 1], "imageSize": {"w": 1280, "h": 720}, "errorPx": 0.4}
    await desktop.send({"type": "cam-calibration", "code": code, "payload": calib})
    assert (await phone.recv("cam-calibration"))["payload"] == calib
    status, body = await srv.get(f"/cam/calibration/{code}")
    assert status == 200 and body == {"ok": True, "calibration": calib}
    await desktop.send({"type": "cam-calibration", "code": code, "payload": {"H": [1, 2, 3]}})
    err = await desktop.recv("cam-error")
    assert err["code"] == "BAD_MESSAGE" and "9 finite numbers" in err["message"]


async def test_data_relayed_only_when_peer_connected(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    await desktop.send({"type": "cam-data", "code": code, "payload": {"x": 1}})
    err = await desktop.recv("cam-error")
    assert err["code"] == "PEER_ABSENT"
    phone, _ = await srv.phone(code)
    await desktop.send({"type": "cam-data", "code": code, "payload": {"x": 2}})
    assert (await phone.recv("cam-data"))["payload"] == {"x": 2}
    # Once the phone's socket is gone, cam-data is refused again, not queued.
    await phone.close()
    await desktop.recv("cam-peer-left")
    await desktop.send({"type": "cam-data", "code": code, "payload": {"x": 3}})
    assert (await desktop.recv("cam-error"))["code"] == "PEER_ABSENT"


async def test_data_on_an_expired_session_is_refused(make_server, clock: ManualClock) -> None:
    # No sweep in this test, so nothing extends the paired session past its TTL.
    srv = await make_server(clock, code_ttl=0.5, sweep_interval=60.0)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    await desktop.send({"type": "cam-data", "code": code, "payload": {"x": 1}})
    assert (await phone.recv("cam-data"))["payload"] == {"x": 1}
    clock.advance(0.8)
    await desktop.send({"type": "cam-data", "code": code, "payload": {"x": 2}})
    assert (await desktop.recv("cam-error"))["code"] == "EXPIRED"
    assert (await phone.recv("cam-error"))["code"] == "EXPIRED"


async def test_diagnostic_is_never_answered(srv: Harness) -> None:
    phone = await srv.ws()
    await phone.send({"type": "cam-diagnostic", "code": "NOPE", "msg": "camera denied", "details": {}})
    await phone.send('{"type": "cam-diagnostic", "broken')
    await phone.send({"type": "cam-error", "code": "WHATEVER"})
    await phone.expect_silence(0.5)


async def test_invalid_and_expired_codes(make_server, clock: ManualClock) -> None:
    srv = await make_server(clock, code_ttl=0.5)
    phone = await srv.ws()
    await phone.send({"type": "cam-join", "code": "ZZZZZZ", "payload": None})
    err = await phone.recv("cam-error")
    assert err["code"] == "INVALID_CODE" and "ZZZZZZ" in err["message"]
    desktop, code_msg = await srv.desktop()
    clock.advance(0.8)
    await phone.send({"type": "cam-join", "code": code_msg["code"], "payload": None})
    assert (await phone.recv("cam-error"))["code"] == "EXPIRED"
    # The desktop is told too, and later uses of the code still say EXPIRED.
    assert (await desktop.recv("cam-error"))["code"] == "EXPIRED"
    status, body = await srv.post(
        f"/cam/signal/{code_msg['code']}", {"type": "cam-offer", "payload": offer()}
    )
    assert status == 410 and body["code"] == "EXPIRED"


async def test_second_join_refused_while_first_phone_connected(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    first, joined = await srv.phone(code)
    intruder = await srv.ws()
    await intruder.send({"type": "cam-join", "code": code, "payload": None})
    assert (await intruder.recv("cam-error"))["code"] == "SESSION_TAKEN"
    # With the phone's token the join is accepted (a reloaded page re-joining).
    await intruder.send(
        {"type": "cam-join", "code": code, "payload": None, "resumeToken": joined["resumeToken"]}
    )
    assert (await intruder.recv("cam-joined"))["resumeToken"] == joined["resumeToken"]
    # Once the first phone is gone, a new phone may join.
    await intruder.close()
    await first.close()
    await asyncio.sleep(0.1)
    newcomer, joined2 = await srv.phone(code)
    assert joined2["resumeToken"] != joined["resumeToken"]


async def test_peer_left_then_resume_flushes_queue_in_order(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    await desktop.recv("cam-peer-joined")
    await desktop.close()
    left = await phone.recv("cam-peer-left")
    assert left == {"type": "cam-peer-left", "code": code, "role": "desktop"}
    for i in range(5):
        await phone.send({"type": "cam-ice", "code": code, "payload": candidate(i)})
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": code_msg["resumeToken"]})
    assert await again.recv() == {"type": "cam-resumed", "code": code, "role": "desktop"}
    got = [await again.recv() for _ in range(5)]
    assert [m["payload"] for m in got] == [candidate(i) for i in range(5)]
    await again.expect_silence()


async def test_resume_with_wrong_token(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    other = await srv.ws()
    await other.send({"type": "cam-resume", "code": code_msg["code"], "resumeToken": "not-the-token"})
    assert (await other.recv("cam-error"))["code"] == "INVALID_TOKEN"


async def test_session_swept_after_grace(make_server) -> None:
    srv = await make_server(grace=0.4)
    desktop, code_msg = await srv.desktop()
    phone, _ = await srv.phone(code_msg["code"])
    await desktop.close()
    await phone.recv("cam-peer-left")
    err = await phone.recv("cam-error", timeout=3)
    assert err["code"] == "EXPIRED" and "did not come back" in err["message"]
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code_msg["code"], "resumeToken": code_msg["resumeToken"]})
    assert (await again.recv("cam-error"))["code"] == "EXPIRED"


async def test_relay_before_join_is_refused(srv: Harness) -> None:
    stranger = await srv.ws()
    await stranger.send({"type": "cam-offer", "code": "ABCDEF", "payload": offer()})
    assert (await stranger.recv("cam-error"))["code"] == "NOT_JOINED"


async def test_desktop_cannot_join_its_own_session(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    await desktop.send({"type": "cam-join", "code": code_msg["code"], "payload": None})
    assert (await desktop.recv("cam-error"))["code"] == "WRONG_ROLE"
    phone, _ = await srv.phone(code_msg["code"])  # the phone slot is still free


async def test_a_socket_that_joins_another_session_leaves_the_first(srv: Harness) -> None:
    first_desktop, first = await srv.desktop()
    second_desktop, second = await srv.desktop()
    phone, _ = await srv.phone(first["code"])
    await first_desktop.recv("cam-peer-joined")
    await phone.send({"type": "cam-join", "code": second["code"], "payload": None})
    await phone.recv("cam-joined")
    await second_desktop.recv("cam-peer-joined")
    assert (await first_desktop.recv("cam-peer-left"))["role"] == "phone"
    # Messages of the first session no longer reach the socket.
    await first_desktop.send({"type": "cam-offer", "code": first["code"], "payload": offer(1)})
    await phone.expect_silence(0.3)
