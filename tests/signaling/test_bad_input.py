"""Bad input gets a clear cam-error, the socket stays usable, and nothing else is affected."""

from __future__ import annotations

import aiohttp
import pytest

from tests.signaling.conftest import Harness, offer

BAD_FRAMES = [
    ("{nope", "BAD_MESSAGE", "malformed JSON"),
    ("[1, 2]", "BAD_MESSAGE", "JSON object"),
    ('"cam-create"', "BAD_MESSAGE", "JSON object"),
    ('{"code": "ABC"}', "BAD_MESSAGE", "type"),
    ('{"type": 5}', "BAD_MESSAGE", "type"),
    ('{"type": ["cam-create"]}', "BAD_MESSAGE", "type"),
    ('{"type": "cam-teleport"}', "UNKNOWN_TYPE", "cam-teleport"),
    ('{"type": "cam-join"}', "BAD_MESSAGE", "code"),
    ('{"type": "cam-join", "code": 42}', "BAD_MESSAGE", "code"),
    ('{"type": "cam-resume", "code": "ABCDEF"}', "BAD_MESSAGE", "resumeToken"),
    ('{"type": "cam-offer", "payload": {"type": "answer", "sdp": "v=0"}}', "BAD_MESSAGE", "offer"),
    ('{"type": "cam-offer", "payload": {"type": "offer", "sdp": "garbage"}}', "BAD_MESSAGE", "SDP"),
    ('{"type": "cam-ice", "payload": {"candidate": 7}}', "BAD_MESSAGE", "candidate"),
    (
        '{"type": "cam-ice", "payload": {"candidate": "", "sdpMLineIndex": -1}}',
        "BAD_MESSAGE",
        "sdpMLineIndex",
    ),
    ('{"type": "cam-ice", "payload": "candidate:1"}', "BAD_MESSAGE", "candidate"),
]


@pytest.mark.parametrize(("frame", "name", "words"), BAD_FRAMES)
async def test_bad_frame_gets_clear_error_and_socket_stays(
    srv: Harness, frame: str, name: str, words: str
) -> None:
    desktop, code_msg = await srv.desktop()
    phone, _ = await srv.phone(code_msg["code"])
    await desktop.recv("cam-peer-joined")
    await phone.send(frame)
    err = await phone.recv("cam-error")
    assert err["code"] == name and words in err["message"], err
    # Still usable, and the session is unaffected.
    await phone.send({"type": "cam-offer", "code": code_msg["code"], "payload": offer(9)})
    assert (await desktop.recv("cam-offer"))["payload"] == offer(9)


async def test_oversized_frame(make_server) -> None:
    srv = await make_server(max_message_bytes=1024)
    desktop, code_msg = await srv.desktop()
    await desktop.send({"type": "cam-data", "payload": "é" * 600})  # 1200 bytes in UTF-8
    err = await desktop.recv("cam-error")
    assert err["code"] == "TOO_LARGE" and "1024" in err["message"]
    await desktop.send({"type": "cam-create"})
    assert (await desktop.recv("cam-code"))["code"]


async def test_oversized_diagnostic_is_not_answered_either(make_server) -> None:
    srv = await make_server(max_message_bytes=1024)
    phone = await srv.ws()
    await phone.send({"type": "cam-diagnostic", "msg": "x" * 2000})
    await phone.expect_silence(0.5)


async def test_binary_frame_rejected(srv: Harness) -> None:
    peer = await srv.ws()
    await peer.ws.send_bytes(b"\x00\x01")
    assert "binary" in (await peer.recv("cam-error"))["message"]


async def test_message_rate_limit_answers_instead_of_dropping(make_server) -> None:
    srv = await make_server(rate_per_second=1, rate_burst=5)
    peer = await srv.ws()
    for _ in range(8):
        await peer.send({"type": "cam-teleport"})
    names = [(await peer.recv("cam-error"))["code"] for _ in range(8)]
    assert names[:5] == ["UNKNOWN_TYPE"] * 5 and names[5:] == ["RATE_LIMITED"] * 3


async def test_origin_allow_list(make_server) -> None:
    srv = await make_server(allowed_origins=("https://darts.example",))
    refused = await srv.http.ws_connect(srv.server.ws_url, headers={"Origin": "https://evil.example"})
    frame = await refused.receive()
    assert frame.type is aiohttp.WSMsgType.CLOSE and refused.close_code == 1008
    allowed = await srv.http.ws_connect(srv.server.ws_url, headers={"Origin": "https://darts.example"})
    await allowed.send_json({"type": "cam-create"})
    assert (await allowed.receive_json())["type"] == "cam-code"
    no_origin = await srv.ws()  # the agent sends no Origin: always allowed
    await no_origin.send({"type": "cam-create"})
    assert (await no_origin.recv())["type"] == "cam-code"


async def test_heartbeat_closes_a_silent_socket(make_server) -> None:
    srv = await make_server(heartbeat=0.3)
    desktop, code_msg = await srv.desktop()
    phone = await srv.ws(autoping=False)  # a dead phone: never answers pings
    await phone.send({"type": "cam-join", "code": code_msg["code"], "payload": None})
    left = await desktop.recv("cam-peer-left", timeout=5)
    assert left["role"] == "phone"
    frame = await phone.ws.receive(timeout=2)
    while frame.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.PING):  # before the close
        frame = await phone.ws.receive(timeout=2)
    assert frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
