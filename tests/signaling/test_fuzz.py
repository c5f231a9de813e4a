"""Fuzzing of the WebSocket and REST input: the server never crashes, never closes another session,
and answers every bad message with an error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling.protocol import CLIENT_TYPES
from tests.signaling.conftest import Harness, offer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(sorted(CLIENT_TYPES)) | st.text(max_size=12),
        "code": st.text(max_size=8) | json_values,
        "payload": json_values,
        "resumeToken": st.text(max_size=8),
        "source": st.sampled_from(["phone", "desktop", "x"]),
    },
)
frames = st.one_of(
    messages.map(json.dumps),
    st.text(max_size=200),
    json_values.map(json.dumps),
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


async def _session_still_works(srv: Harness, desktop, phone, code: str) -> None:
    await phone.send({"type": "cam-offer", "code": code, "payload": offer(7)})
    assert (await desktop.recv("cam-offer"))["payload"] == offer(7)


async def test_fuzz_websocket(make_server) -> None:
    srv = await make_server(rate_per_second=10_000, rate_burst=10_000, unknown_code_per_minute=100_000)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    fuzzer = await srv.ws()
    seen: list[str] = []

    @FUZZ
    @given(frame=frames)
    def collect(frame: str) -> None:
        seen.append(frame)

    collect()
    for frame in seen:
        await fuzzer.send(frame)
    await fuzzer.send({"type": "cam-create"})  # a marker: everything before it has been answered
    answered = await fuzzer.recv("cam-code", timeout=20)
    assert answered["code"]
    for msg in fuzzer.inbox:
        assert msg["type"] in ("cam-error", "cam-code", "cam-joined", "cam-resumed", "cam-peer-joined")
        if msg["type"] == "cam-error":
            assert msg["message"]
    assert not fuzzer.ws.closed
    await _session_still_works(srv, desktop, phone, code)


async def test_fuzz_rest(make_server) -> None:
    srv = await make_server(unknown_code_per_minute=100_000)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    cases: list[tuple[str, str]] = []

    @FUZZ
    @given(body=frames, path_code=st.sampled_from([code, "ZZZZZZ", "%20", "a" * 40]))
    def collect(body: str, path_code: str) -> None:
        cases.append((body, path_code))

    collect()
    for body, path_code in cases:
        for path in (f"/cam/signal/{path_code}", f"/cam/calibration/{path_code}"):
            async with srv.http.post(srv.url + path, data=body) as resp:
                reply = await resp.json(content_type=None)
                assert resp.status < 500, (body, reply)
                assert resp.status == 200 or reply.get("error"), (body, reply)
    await _session_still_works(srv, desktop, phone, code)
    status, health = await srv.get("/healthz")
    assert status == 200 and health["ok"] is True
