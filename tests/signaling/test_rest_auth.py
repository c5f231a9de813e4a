"""Only the holder of a role acts for it over REST (issue 12, point 3): a request for a role needs that
role's token (`resumeToken` in a POST body, `Authorization: Bearer` on a poll), except a phone that joined
over REST without one (the deployed page), and only from its own address while no socket holds the
phone role. A refused request gets 403 INVALID_TOKEN and nothing reaches the other role. On both stores.

A second client address on this machine: Linux routes all of 127.0.0.0/8 to loopback, so a client
bound to 127.0.0.2 reaches the server on 127.0.0.1 and the server sees 127.0.0.2."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.signaling.conftest import Harness, WsPeer, answer, bearer, candidate, offer

OTHER_ADDRESS = "127.0.0.2"
JOIN = {"type": "cam-join", "payload": None, "source": "phone"}


@pytest.fixture
async def elsewhere() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose requests come from 127.0.0.2."""
    connector = aiohttp.TCPConnector(local_addr=(OTHER_ADDRESS, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        yield http


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with http.post(url, data=json.dumps(body)) as resp:
        return resp.status, await resp.json()


async def _get(http: aiohttp.ClientSession, url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    async with http.get(url, headers=bearer(token)) as resp:
        return resp.status, await resp.json()


def _refused(reply: tuple[int, dict[str, Any]]) -> bool:
    status, body = reply
    return status == 403 and body["code"] == "INVALID_TOKEN" and body["ok"] is False and bool(body["error"])


async def _paired_on_sockets(srv: Harness) -> tuple[WsPeer, WsPeer, str, str, str]:
    desktop, code_msg = await srv.desktop()
    phone, joined = await srv.phone(code_msg["code"])
    await desktop.recv("cam-peer-joined")
    return desktop, phone, code_msg["code"], code_msg["resumeToken"], joined["resumeToken"]


async def test_forged_messages_for_either_role_are_refused_and_reach_nobody(srv: Harness) -> None:
    desktop, phone, code, desktop_token, phone_token = await _paired_on_sockets(srv)
    url = f"/cam/signal/{code}"
    forged = [
        {"type": "cam-offer", "payload": offer(9), "source": "desktop"},
        {"type": "cam-offer", "payload": offer(9), "source": "phone"},
        {"type": "cam-offer", "payload": offer(9)},  # source phone is the default
        {"type": "cam-ice", "payload": candidate(1), "source": "desktop", "resumeToken": "guessed"},
        # Each role's token acts for that role only.
        {"type": "cam-answer", "payload": answer(9), "source": "desktop", "resumeToken": phone_token},
        {"type": "cam-offer", "payload": offer(9), "source": "phone", "resumeToken": desktop_token},
        {"type": "cam-data", "payload": {"x": 1}, "source": "desktop"},
        {"type": "cam-calibration", "payload": {"H": [1, 0, 0, 0, 1, 0, 0, 0, 1]}, "source": "desktop"},
    ]
    for body in forged:
        assert _refused(await srv.post(url, body)), body
    assert _refused(await srv.post(url, {"type": "cam-offer", "payload": offer(9)}, "guessed"))
    # Nor may anybody read a role's queue without its token.
    for query in ("?source=phone", "?source=desktop", ""):
        assert _refused(await srv.get(url + query))
    assert _refused(await srv.get(url + "?source=desktop", phone_token))
    assert _refused(await srv.get(url + "?source=phone", desktop_token))
    await desktop.expect_silence()
    await phone.expect_silence()
    assert (await srv.get(f"/cam/calibration/{code}"))[1]["ok"] is False
    # The holders themselves get through, by body field or by header.
    status, body = await srv.post(url, {"type": "cam-offer", "payload": offer(1), "resumeToken": phone_token})
    assert status == 200 and body["delivered"] is True
    assert (await desktop.recv("cam-offer"))["payload"] == offer(1)
    status, _ = await srv.post(
        url, {"type": "cam-answer", "payload": answer(1), "source": "desktop"}, desktop_token
    )
    assert status == 200
    assert (await phone.recv("cam-answer"))["payload"] == answer(1)
    assert await srv.get(url + "?source=desktop", desktop_token) == (200, {"ok": True, "messages": []})


async def test_desktop_over_rest_always_needs_its_token(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code, desktop_token = code_msg["code"], code_msg["resumeToken"]
    url = f"/cam/signal/{code}"
    status, joined = await srv.post(url, JOIN)  # a REST phone from the desktop's own address
    assert status == 200
    await desktop.close()
    await srv.post(url, {"type": "cam-offer", "payload": offer(2)})  # the tokenless REST phone may
    # No socket holds the desktop role and the request comes from the desktop's address: still refused.
    assert _refused(await srv.get(url + "?source=desktop"))
    assert _refused(await srv.post(url, {"type": "cam-answer", "payload": answer(2), "source": "desktop"}))
    assert _refused(await srv.get(url + "?source=desktop", joined["resumeToken"]))
    status, body = await srv.get(url + "?source=desktop", desktop_token)
    assert status == 200 and [m["type"] for m in body["messages"]] == ["cam-offer"]
    status, _ = await srv.post(
        url, {"type": "cam-answer", "payload": answer(2), "source": "desktop"}, desktop_token
    )
    assert status == 200
    status, body = await srv.get(url)  # the phone reads the real answer, and only it
    assert status == 200 and [m["type"] for m in body["messages"]] == ["cam-peer-left", "cam-answer"]
    assert body["messages"][1]["payload"] == answer(2)


async def test_tokenless_rest_phone_works_only_from_its_address(
    srv: Harness, elsewhere: aiohttp.ClientSession
) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    url = f"/cam/signal/{code}"
    status, joined = await srv.post(url, JOIN)
    assert status == 200 and joined["resumeToken"]  # the REST join returns the phone's token
    await desktop.recv("cam-peer-joined")
    # The deployed page goes on without the token, from the address it joined from.
    status, body = await srv.post(url, {"type": "cam-offer", "payload": offer(3), "source": "phone"})
    assert status == 200 and body["delivered"] is True
    assert (await desktop.recv("cam-offer"))["payload"] == offer(3)
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(3)})
    # From any other address, the same requests are refused and the queue stays for the phone.
    other = srv.url + url
    assert _refused(
        await _post(elsewhere, other, {"type": "cam-ice", "payload": candidate(7), "source": "phone"})
    )
    assert _refused(await _get(elsewhere, other + "?source=phone"))
    await desktop.expect_silence()
    status, body = await srv.get(url + "?wait=2")
    assert status == 200 and [m["payload"] for m in body["messages"]] == [answer(3)]
    # With the phone's token the other address acts for the phone (the token is the proof).
    status, _ = await _post(
        elsewhere, other, {"type": "cam-ice", "payload": candidate(8), "resumeToken": joined["resumeToken"]}
    )
    assert status == 200
    assert (await desktop.recv("cam-ice"))["payload"] == candidate(8)


async def test_tokenless_rest_phone_stops_once_a_socket_holds_the_role(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    url = f"/cam/signal/{code}"
    _, joined = await srv.post(url, JOIN)
    await desktop.recv("cam-peer-joined")
    phone = await srv.ws()
    await phone.send({"type": "cam-resume", "code": code, "resumeToken": joined["resumeToken"]})
    assert (await phone.recv("cam-resumed"))["role"] == "phone"
    # Same address, no token: a socket holds the phone role now, so this is somebody else.
    assert _refused(await srv.post(url, {"type": "cam-offer", "payload": offer(4), "source": "phone"}))
    assert _refused(await srv.get(url + "?source=phone"))
    await desktop.expect_silence()
    # And it does not come back when that socket closes: the holder has shown it has the token.
    await phone.close()
    assert (await desktop.recv("cam-peer-left"))["role"] == "phone"
    assert _refused(await srv.post(url, {"type": "cam-offer", "payload": offer(4), "source": "phone"}))
    await desktop.expect_silence()
    status, _ = await srv.post(url, {"type": "cam-offer", "payload": offer(5)}, joined["resumeToken"])
    assert status == 200
    assert (await desktop.recv("cam-offer"))["payload"] == offer(5)


async def test_polling_a_role_nobody_joined_is_refused_and_blocks_no_phone(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    # Before any join nobody holds the phone role; a tokenless poll used to count as the phone being
    # present, which then refused the real phone with SESSION_TAKEN.
    assert _refused(await srv.get(f"/cam/signal/{code}?source=phone"))
    assert _refused(await srv.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(6)}))
    await desktop.expect_silence()
    phone, joined = await srv.phone(code)
    assert joined["resumeToken"]
    assert (await desktop.recv("cam-peer-joined"))["code"] == code
