"""The attack surface around the session itself: the Origin allow-list (on both transports, and
against DNS rebinding) and guessing codes (the per-client limit of unknown-code lookups). On both
stores. 127.0.0.2 is a second client address on this machine (all of 127/8 is loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from signaling.ratelimit import client_key
from tests.signaling.conftest import Harness, offer

OTHER_ADDRESS = "127.0.0.2"


@pytest.fixture
async def elsewhere() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose requests come from 127.0.0.2."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(OTHER_ADDRESS, 0))) as http:
        yield http


async def _status(srv: Harness, path: str, headers: dict[str, str]) -> int:
    async with srv.http.get(srv.url + path, headers=headers) as resp:
        return resp.status


async def _ws_accepted(srv: Harness, headers: dict[str, str]) -> bool:
    """Whether a socket with these headers may create a session (a refused one is closed with 1008)."""
    ws = await srv.http.ws_connect(srv.server.ws_url, headers=headers)
    try:
        await ws.send_json({"type": "cam-create"})
        frame = await ws.receive(timeout=5)
        if frame.type is aiohttp.WSMsgType.CLOSE:
            assert ws.close_code == 1008
            return False
        assert frame.json()["type"] == "cam-code"
        return True
    finally:
        await ws.close()


async def test_origin_allow_list_on_both_transports(make_server) -> None:
    srv = await make_server(allowed_origins=("https://Darts.Example/",), public_url="https://phone.lan:8787")
    _, code_msg = await srv.desktop()
    port = srv.server.port
    path = f"/cam/calibration/{code_msg['code']}"
    verdicts = {
        "https://darts.example": True,  # listed (compared case-insensitively, without the slash)
        "https://DARTS.example:443": True,  # the same origin with its default port spelled out
        "https://phone.lan:8787": True,  # the public URL's origin: our own page as phones reach it
        f"http://127.0.0.1:{port}": True,  # our own origin, named by address
        "https://evil.example": False,
        "http://darts.example": False,  # another scheme is another origin
        "https://darts.example.evil.example": False,
        "https://darts.example:8443": False,
        "null": False,  # a sandboxed frame or a file:// page
        "not an origin": False,
    }
    for origin, allowed in verdicts.items():
        assert await _status(srv, path, {"Origin": origin}) == (200 if allowed else 403), origin
        assert await _ws_accepted(srv, {"Origin": origin}) is allowed, origin
    # No Origin at all (the agent, curl): always allowed.
    assert await _status(srv, path, {}) == 200
    assert await _ws_accepted(srv, {})
    # DNS rebinding: a page of evil.example whose name now resolves to this machine sends its own
    # name as Host and as Origin; a name in Host does not vouch for being our own origin.
    rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    assert await _status(srv, path, rebound) == 403
    assert not await _ws_accepted(srv, rebound)
    async with srv.http.post(srv.url + path, json={"H": [1] * 9}, headers=rebound) as resp:
        assert resp.status == 403 and (await resp.json())["ok"] is False


async def test_without_an_allow_list_every_origin_is_allowed(srv: Harness) -> None:
    _, code_msg = await srv.desktop()
    headers = {"Origin": "https://anywhere.example"}
    assert await _status(srv, f"/cam/calibration/{code_msg['code']}", headers) == 200
    assert await _ws_accepted(srv, headers)


async def test_guessing_is_limited_per_client_on_every_way_to_name_a_code(
    make_server, elsewhere: aiohttp.ClientSession
) -> None:
    srv = await make_server(unknown_code_per_minute=6)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    # Every way of naming a code counts, in any spelling (codes are compared upper-cased).
    guesses = [
        srv.get("/cam/signal/ZZZZZ1"),
        srv.get("/cam/signal/zzzzz1"),
        srv.post("/cam/signal/%20ZZZZZ2", {"type": "cam-join", "payload": None}),
        srv.get("/cam/calibration/ZZZZZ3"),
        srv.post("/cam/calibration/ZZZZZ4", {"H": [1] * 9}),
        srv.get("/cam/signal/ZZZZZ5?source=desktop"),
    ]
    assert [(await g)[0] for g in guesses] == [404] * 6
    # The limit is reached: every lookup is refused now, also of the real code and over the socket.
    assert (await srv.get("/cam/signal/ZZZZZ6"))[0] == 429
    status, body = await srv.post(f"/cam/signal/{code}", {"type": "cam-join", "payload": None})
    assert status == 429 and body["code"] == "RATE_LIMITED"
    assert (await srv.get(f"/cam/calibration/{code}"))[0] == 429
    guesser = await srv.ws()
    await guesser.send({"type": "cam-resume", "code": code, "resumeToken": "x"})
    assert (await guesser.recv("cam-error"))["code"] == "RATE_LIMITED"
    await guesser.send({"type": "cam-join", "code": code, "payload": None})
    assert (await guesser.recv("cam-error"))["code"] == "RATE_LIMITED"
    await desktop.expect_silence()  # nothing reached the session
    # Another client is not affected: it still gets plain answers and can pair.
    async with elsewhere.get(f"{srv.url}/cam/signal/ZZZZZ7") as resp:
        assert resp.status == 404
    async with elsewhere.post(
        f"{srv.url}/cam/signal/{code}", json={"type": "cam-join", "payload": None, "source": "phone"}
    ) as resp:
        assert resp.status == 200
        token = (await resp.json())["resumeToken"]
    assert (await desktop.recv())["type"] == "cam-peer-joined"
    body = {"type": "cam-offer", "payload": offer(1), "resumeToken": token}
    async with elsewhere.post(f"{srv.url}/cam/signal/{code}", json=body) as resp:
        assert resp.status == 200
    assert (await desktop.recv("cam-offer"))["payload"] == offer(1)


async def test_a_client_in_session_is_not_limited_on_its_own_code(make_server) -> None:
    # The limit counts unknown codes only: a paired socket relays past it.
    srv = await make_server(unknown_code_per_minute=1)
    desktop, code_msg = await srv.desktop()
    phone, _ = await srv.phone(code_msg["code"])
    await srv.get("/cam/signal/ZZZZZ1")
    assert (await srv.get("/cam/signal/ZZZZZ2"))[0] == 429
    for i in range(5):
        await phone.send({"type": "cam-offer", "code": code_msg["code"], "payload": offer(i)})
        assert (await desktop.recv("cam-offer"))["payload"] == offer(i)


def test_guesses_are_counted_per_ipv4_address_and_per_ipv6_network() -> None:
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    # An IPv6 client picks any address of its /64: they all count as one.
    assert (
        client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff:eeee:dddd:cccc") == "2001:db8:1:2::/64"
    )
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("fe80::1%eth0") == "fe80::/64"
    assert client_key("?") == "?"


async def test_one_socket_cannot_pile_up_sessions(srv: Harness) -> None:
    # Each cam-create used to leave the previous session alive for its code TTL: one socket could keep
    # thousands. A session nobody joined ends when its desktop opens another.
    desktop = await srv.ws()
    codes = []
    for _ in range(40):
        await desktop.send({"type": "cam-create"})
        codes.append((await desktop.recv("cam-code"))["code"])
    assert len(set(codes)) == 40 and not desktop.inbox  # no cam-error about the ended ones
    assert await srv.server.service.store.codes() == [codes[-1]]
    phone, _ = await srv.phone(codes[-1])
    assert (await desktop.recv("cam-peer-joined"))["code"] == codes[-1]
    late = await srv.ws()
    await late.send({"type": "cam-join", "code": codes[0], "payload": None})
    assert (await late.recv("cam-error"))["code"] == "EXPIRED"
    # A session a phone joined is left to its grace period, as before.
    await desktop.send({"type": "cam-create"})
    fresh = (await desktop.recv("cam-code"))["code"]
    assert sorted(await srv.server.service.store.codes()) == sorted([codes[-1], fresh])
    assert (await phone.recv("cam-peer-left"))["role"] == "desktop"
