"""Unit tests of the small pieces: the pixel stamp, SDP edits, ICE helpers, events, phone URLs."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from desktop_receiver.events import CodeEvent, EventBus, JsonLinesWriter
from desktop_receiver.media import stamp
from desktop_receiver.pairing.interface import phone_url_for
from desktop_receiver.webrtc.ice import (
    IceServerOptions,
    is_end_of_candidates,
    parse_candidate,
    pinned_hosts,
)
from desktop_receiver.webrtc.sdputil import add_bitrate_hints, ice_ufrag, strip_candidates, video_codecs

SDP = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99 100\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n"
    "a=rtpmap:97 VP8/90000\r\na=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n"
    "a=rtpmap:99 H264/90000\r\na=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:100 rtx/90000\r\na=fmtp:100 apt=99\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
    "a=candidate:2 1 udp 1694498815 10.0.0.1 5001 typ srflx raddr 127.0.0.1 rport 5000\r\n"
    "a=end-of-candidates\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
)


@pytest.mark.parametrize("size", [(320, 240), (640, 480), (1280, 720), (1920, 1080)])
def test_stamp_survives_i420_round_trip_and_scaling(size):
    width, height = size
    image = np.random.default_rng(1).integers(0, 255, (height * 3 // 2, width), np.uint8)
    stamp.draw_i420(image, width, height, 123_456_789_012, 42)
    frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
    # Cells are 1/48 of the width: readable down to about 200 px wide.
    for scaled in (frame, frame.reformat(width // 2, height // 2)) if width >= 640 else (frame,):
        found = stamp.read_bgr(scaled.to_ndarray(format="bgr24"))
        assert found == stamp.Stamp(123_456_789_012, 42)


def test_stamp_rejects_pictures_without_one():
    rng = np.random.default_rng(2)
    assert stamp.read_bgr(rng.integers(0, 255, (480, 640, 3), np.uint8)) is None
    assert stamp.read_bgr(np.full((480, 640, 3), 255, np.uint8)) is None
    assert stamp.read_bgr(np.zeros((4, 4, 3), np.uint8)) is None


def test_stamp_age_wraps():
    s = stamp.Stamp(stamp.TIME_MOD - 1000, 0)  # 1 ms before the wrap
    now = (stamp.TIME_MOD * 3 + 4000) / 1e6  # 4 ms after it
    assert s.age_ms(now) == pytest.approx(5.0)


def test_bitrate_hints_on_every_media_codec():
    out = add_bitrate_hints(SDP, 4000, 1500, 8000)
    assert "a=fmtp:97 x-google-start-bitrate=4000;x-google-min-bitrate=1500;x-google-max-bitrate=8000" in out
    assert "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=4000" in out
    assert "a=fmtp:98 apt=97\r\n" in out  # retransmission untouched
    assert add_bitrate_hints(out, 4000, 1500, 8000) == out  # idempotent


def test_sdp_readings():
    assert video_codecs(SDP) == ["VP8", "H264"]
    assert ice_ufrag(SDP) == "abcd"
    bare, candidates = strip_candidates(SDP)
    assert "a=candidate" not in bare and "end-of-candidates" not in bare and "a=ice-ufrag:abcd" in bare
    assert [c.line.split()[4] for c in candidates] == ["127.0.0.1", "10.0.0.1"]
    assert all(c.sdp_mid == "0" and c.sdp_mline_index == 0 and c.ufrag == "abcd" for c in candidates)


def test_candidates():
    cand = parse_candidate(
        {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "sdpMid": "0"}
    )
    assert (cand.ip, cand.port, cand.type, cand.sdpMid) == ("127.0.0.1", 5000, "host", "0")
    for bad in ({"candidate": "candidate:garbage", "sdpMid": "0"}, {"candidate": "  ", "sdpMid": "0"}):
        with pytest.raises(ValueError):
            parse_candidate(bad)
    with pytest.raises(ValueError):  # no sdpMid nor sdpMLineIndex
        parse_candidate({"candidate": "candidate:1 1 udp 1 127.0.0.1 5 typ host"})
    assert is_end_of_candidates(None) and is_end_of_candidates({"candidate": ""})


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ bogus", "type"),
        ("candidate:1 1 udp 2130706431 notanip 5000 typ host", "address"),
        ("candidate:1 1 udp 2130706431 .local 5000 typ host", "address"),
        ("candidate:1 1 udp 2130706431 999.1.1.1 5000 typ host", "address"),
    ],
)
def test_candidates_with_a_bad_type_or_address_are_refused(line, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_candidate({"candidate": line, "sdpMid": "0"})


@pytest.mark.parametrize(
    "line",
    [
        "candidate:1 1 udp 2130706431 fe80::1 5000 typ host",
        "candidate:1 1 udp 2130706431 0b5e7c1a-1b2c-4d5e-8f90-123456789abc.local 5000 typ host",
        "candidate:2 1 udp 1694498815 203.0.113.7 6000 typ srflx raddr 0.0.0.0 rport 0",
        "candidate:3 1 udp 16777215 198.51.100.1 7000 typ relay raddr 203.0.113.7 rport 6000",
        "candidate:4 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active",
    ],
)
def test_candidates_browsers_send_are_accepted(line):
    assert parse_candidate({"candidate": line, "sdpMid": "0"}).ip in line
    assert not is_end_of_candidates({"candidate": "candidate:1"})


async def test_pinned_hosts_gathers_loopback_only():
    from aioice import Connection

    connection = Connection(ice_controlling=True)
    with pinned_hosts(["127.0.0.1"]):
        await connection.gather_candidates()
    assert [c.host for c in connection.local_candidates] == ["127.0.0.1"]
    await connection.close()


def test_ice_servers_are_explicit():
    assert IceServerOptions().servers() == []  # never aiortc's default public STUN server
    servers = IceServerOptions(
        stun=("stun.example:3478",), turn=("turn:t.example",), turn_username="u", turn_password="p"
    ).servers()
    assert [s.urls for s in servers] == ["stun:stun.example:3478", "turn:t.example"]
    assert servers[1].username == "u" and servers[1].credential == "p"


def test_events_json_lines(tmp_path):
    bus = EventBus()
    got = []
    unsubscribe = bus.subscribe(got.append)
    writer = JsonLinesWriter(str(tmp_path / "events.jsonl"))
    bus.subscribe(writer)
    bus.emit(CodeEvent(code="ABCDEF", url="http://x/mobile-cam.html?code=ABCDEF"))
    unsubscribe()
    bus.emit(CodeEvent(code="GHJKLM", url=None, renewed=True, reason="test"))
    writer.close()
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [line["event"] for line in lines] == ["code", "code"]
    assert lines[0]["code"] == "ABCDEF" and isinstance(lines[0]["t"], float) and lines[1]["renewed"] is True
    assert len(got) == 1


def test_phone_url_for_servers_that_send_none():
    assert phone_url_for("ws://10.0.0.2:8787/ws", "ABCD") == "http://10.0.0.2:8787/mobile-cam.html?code=ABCD"
    assert phone_url_for("wss://h.example/ws", "ABCD") == "https://h.example/mobile-cam.html?code=ABCD"


def test_the_client_state_table_follows_the_create_and_resume_flow():
    from desktop_receiver.pairing.states import ClientEvent as E
    from desktop_receiver.pairing.states import ClientState as S
    from desktop_receiver.pairing.states import next_state

    def walk(state, *events):
        for event in events:
            state = next_state(state, event)
        return state

    assert walk(S.DISCONNECTED, E.OPENED, E.CODE) is S.READY  # cam-create, cam-code
    assert walk(S.READY, E.CLOSED, E.OPENED_WITH_TOKEN, E.RESUMED) is S.READY  # cam-resume, cam-resumed
    assert walk(S.READY, E.CLOSED, E.OPENED_WITH_TOKEN, E.RESUME_REFUSED, E.CODE) is S.READY
    assert walk(S.RESUMING, E.RESUME_TIMED_OUT) is S.CREATING  # the base server never answers
    assert walk(S.READY, E.SESSION_ENDED) is S.CREATING
    assert next_state(S.READY, E.RESUMED) is None  # a cam-resumed nobody asked for changes nothing
    assert all(next_state(state, E.STOP) is S.STOPPED for state in S)
