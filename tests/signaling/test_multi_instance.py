"""Several instances behind one address, sharing one real redis-server: the relay finds the live
connection of a role wherever it is."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import aiohttp
import pytest
import redis

from tests.procs import RedisProcess, SignalingProcess
from tests.signaling.conftest import WsPeer, answer, candidate, offer


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture
def backend(redis_url: str) -> str:
    """Overrides the suite's backend: every server of these tests is an instance on one Redis."""
    return redis_url


async def _ws(http: aiohttp.ClientSession, url: str) -> WsPeer:
    return WsPeer(await http.ws_connect(url))


async def _pair(http: aiohttp.ClientSession, desktop_url: str, phone_url: str) -> tuple[WsPeer, WsPeer, dict]:
    """A desktop and a phone joined to one session; returns them and the desktop's cam-code."""
    desktop = await _ws(http, desktop_url)
    await desktop.send({"type": "cam-create"})
    code_msg = await desktop.recv("cam-code")
    phone = await _ws(http, phone_url)
    await phone.send({"type": "cam-join", "code": code_msg["code"], "payload": None})
    await phone.recv("cam-joined")
    await desktop.recv("cam-peer-joined")
    return desktop, phone, code_msg


async def test_desktop_on_a_phone_on_b_over_websocket(make_server) -> None:
    a = await make_server()
    b = await make_server()
    desktop, code_msg = await a.desktop()
    code = code_msg["code"]
    phone, _ = await b.phone(code)
    await desktop.recv("cam-peer-joined")
    await phone.send({"type": "cam-offer", "code": code, "payload": offer(1)})
    for i in range(5):
        await phone.send({"type": "cam-ice", "code": code, "payload": candidate(i)})
    got = [await desktop.recv() for _ in range(6)]
    assert [m["type"] for m in got] == ["cam-offer"] + ["cam-ice"] * 5
    assert [m["payload"] for m in got[1:]] == [candidate(i) for i in range(5)]
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(1)})
    assert (await phone.recv("cam-answer"))["payload"] == answer(1)
    for n in range(40):
        await desktop.send({"type": "cam-data", "code": code, "payload": {"n": n}})
        await phone.send({"type": "cam-data", "code": code, "payload": {"n": n}})
    to_phone = [(await phone.recv("cam-data"))["payload"]["n"] for _ in range(40)]
    to_desktop = [(await desktop.recv("cam-data"))["payload"]["n"] for _ in range(40)]
    assert to_phone == list(range(40)) and to_desktop == list(range(40))
    await phone.expect_silence(0.3)
    await desktop.expect_silence(0.3)


async def test_desktop_on_a_phone_on_b_over_rest(make_server) -> None:
    a = await make_server()
    b = await make_server()
    desktop, code_msg = await a.desktop()
    code = code_msg["code"]
    status, _ = await b.post(f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"})
    assert status == 200
    await desktop.recv("cam-peer-joined")
    await b.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(2), "source": "phone"})
    assert (await desktop.recv("cam-offer"))["payload"] == offer(2)
    poll = asyncio.create_task(b.get(f"/cam/signal/{code}?source=phone&wait=5"))
    await asyncio.sleep(0.2)
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(2)})
    status, body = await asyncio.wait_for(poll, 4)  # woken across instances, not by the timeout
    assert [m["type"] for m in body["messages"]] == ["cam-answer"]
    for n in range(20):
        await desktop.send({"type": "cam-data", "code": code, "payload": {"n": n}})
    received: list[int] = []
    deadline = asyncio.get_running_loop().time() + 10
    while len(received) < 20 and asyncio.get_running_loop().time() < deadline:
        _, body = await b.get(f"/cam/signal/{code}?source=phone&wait=1")
        received += [m["payload"]["n"] for m in body["messages"]]
    assert received == list(range(20))


async def test_the_end_of_a_session_reaches_sockets_on_other_instances(make_server, clock) -> None:
    # No sweep: the session ends when the desktop's instance finds its code expired.
    a = await make_server(clock, code_ttl=0.5, sweep_interval=60.0)
    b = await make_server(clock, code_ttl=0.5, sweep_interval=60.0)
    desktop, code_msg = await a.desktop()
    code = code_msg["code"]
    phone, _ = await b.phone(code)
    await desktop.recv("cam-peer-joined")
    clock.advance(0.8)
    await desktop.send({"type": "cam-data", "code": code, "payload": {}})
    assert (await desktop.recv("cam-error"))["code"] == "EXPIRED"
    assert (await phone.recv("cam-error"))["code"] == "EXPIRED"


async def test_instance_killed_desktop_resumes_on_other(redis_url: str) -> None:
    # Presence expires fast here, so that B notices within a second that A died.
    fast_presence = ("--presence-ttl", "1.0", "--presence-refresh", "0.25")
    a = SignalingProcess("--redis", redis_url, "--sweep-interval", "0.5", *fast_presence)
    b = SignalingProcess("--redis", redis_url, "--sweep-interval", "0.5", *fast_presence)
    try:
        async with aiohttp.ClientSession() as http:
            desktop, phone, code_msg = await _pair(http, a.ws_url, b.ws_url)
            code = code_msg["code"]
            a.stop(signal.SIGKILL)
            sent = [offer(3)] + [candidate(i) for i in range(4)]
            await phone.send({"type": "cam-offer", "code": code, "payload": sent[0]})
            for cand in sent[1:]:
                await phone.send({"type": "cam-ice", "code": code, "payload": cand})
            # B notices that A's socket vanished (its presence expires) and tells the phone.
            left = await phone.recv("cam-peer-left", timeout=30)
            assert left["role"] == "desktop"
            again = await _ws(http, b.ws_url)
            await again.send({"type": "cam-resume", "code": code, "resumeToken": code_msg["resumeToken"]})
            assert (await again.recv())["type"] == "cam-resumed"
            got = [await again.recv() for _ in range(5)]
            assert [m["payload"] for m in got] == sent
            await again.send({"type": "cam-answer", "code": code, "payload": answer(3)})
            assert (await phone.recv("cam-answer"))["payload"] == answer(3)
    finally:
        a.stop()
        b.stop()


async def test_instances_added_and_removed_while_a_session_lives(redis_url: str) -> None:
    a = SignalingProcess("--redis", redis_url, "--sweep-interval", "0.5")
    b = SignalingProcess("--redis", redis_url, "--sweep-interval", "0.5")
    c: SignalingProcess | None = None
    try:
        async with aiohttp.ClientSession() as http:
            desktop = await _ws(http, a.ws_url)
            await desktop.send({"type": "cam-create"})
            code_msg = await desktop.recv("cam-code")
            code = code_msg["code"]
            phone = await _ws(http, b.ws_url)
            await phone.send({"type": "cam-join", "code": code, "payload": None})
            joined_token = (await phone.recv("cam-joined"))["resumeToken"]
            await desktop.recv("cam-peer-joined")
            # C joins the deployment mid-session; the phone moves to it.
            c = SignalingProcess("--redis", redis_url, "--sweep-interval", "0.5")
            await phone.close()
            await desktop.recv("cam-peer-left")
            phone = await _ws(http, c.ws_url)
            await phone.send({"type": "cam-resume", "code": code, "resumeToken": joined_token})
            assert (await phone.recv())["type"] == "cam-resumed"
            await desktop.send({"type": "cam-offer", "code": code, "payload": offer(5)})
            assert (await phone.recv("cam-offer"))["payload"] == offer(5)
            # A leaves the deployment (stopped the normal way): its desktop resumes on B and gets
            # what the phone sent meanwhile, in order.
            a.stop()
            assert (await phone.recv("cam-peer-left"))["role"] == "desktop"
            sent = [candidate(i) for i in range(3)]
            for cand in sent:
                await phone.send({"type": "cam-ice", "code": code, "payload": cand})
            again = await _ws(http, b.ws_url)
            await again.send({"type": "cam-resume", "code": code, "resumeToken": code_msg["resumeToken"]})
            assert (await again.recv())["type"] == "cam-resumed"
            assert [(await again.recv("cam-ice"))["payload"] for _ in sent] == sent
            await again.expect_silence(0.3)
    finally:
        for proc in (a, b, c):
            if proc is not None:
                proc.stop()


@contextlib.contextmanager
def server_on_own_redis(persistent: bool) -> Iterator[tuple[RedisProcess, SignalingProcess]]:
    """A redis-server that the test may stop and restart, and a server process on it."""
    store = RedisProcess(persistent=persistent).start()
    server = SignalingProcess("--redis", store.url, "--sweep-interval", "0.3")
    try:
        yield store, server
    finally:
        server.stop()
        store.cleanup()


async def test_redis_restart_gives_clear_error_then_recovers() -> None:
    with server_on_own_redis(persistent=True) as (store, server):
        async with aiohttp.ClientSession() as http:
            desktop, phone, code_msg = await _pair(http, server.ws_url, server.ws_url)
            code = code_msg["code"]
            store.stop()
            await phone.send({"type": "cam-offer", "code": code, "payload": offer(4)})
            err = await phone.recv("cam-error", timeout=10)
            assert err["code"] == "UNAVAILABLE" and "Redis" in err["message"]
            async with http.get(server.http_url + "/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["redis"] is False
            async with http.post(server.http_url + f"/cam/signal/{code}", json={"type": "cam-data"}) as resp:
                assert resp.status == 503 and (await resp.json())["code"] == "UNAVAILABLE"
            store.start()
            for _ in range(40):
                async with http.get(server.http_url + "/healthz") as resp:
                    if resp.status == 200:
                        break
                await asyncio.sleep(0.2)
            assert resp.status == 200
            await phone.send({"type": "cam-offer", "code": code, "payload": offer(5)})
            assert (await desktop.recv("cam-offer", timeout=10))["payload"] == offer(5)


async def test_redis_loss_is_reported_not_silent() -> None:
    with server_on_own_redis(persistent=False) as (store, server):
        async with aiohttp.ClientSession() as http:
            desktop = await _ws(http, server.ws_url)
            await desktop.send({"type": "cam-create"})
            code = (await desktop.recv("cam-code"))["code"]
            store.stop()
            store.start()  # empty: the session is gone
            err = await desktop.recv("cam-error", timeout=15)
            assert err["code"] == "EXPIRED" and "lost" in err["message"] and code in err["message"]
            await desktop.send({"type": "cam-create"})
            assert (await desktop.recv("cam-code"))["code"] != code


async def test_only_the_holder_acts_for_a_role_across_instances(make_server) -> None:
    # The tokenless REST phone's address lives in the session in Redis: every instance knows it.
    a = await make_server()
    b = await make_server()
    desktop, code_msg = await a.desktop()
    code, url = code_msg["code"], f"/cam/signal/{code_msg['code']}"
    status, joined = await b.post(url, {"type": "cam-join", "payload": None, "source": "phone"})
    assert status == 200
    await desktop.recv("cam-peer-joined")
    assert (await a.post(url, {"type": "cam-offer", "payload": offer(1), "source": "phone"}))[0] == 200
    assert (await desktop.recv("cam-offer"))["payload"] == offer(1)
    # The desktop's role is nobody's to take without its token, on any instance.
    status, body = await b.post(url, {"type": "cam-answer", "payload": answer(1), "source": "desktop"})
    assert status == 403 and body["code"] == "INVALID_TOKEN"
    assert (await b.get(url + "?source=desktop"))[0] == 403
    # Once a socket on a holds the phone role, the tokenless requests on b are refused.
    phone = await _ws(a.http, a.server.ws_url)
    await phone.send({"type": "cam-resume", "code": code, "resumeToken": joined["resumeToken"]})
    await phone.recv("cam-resumed")
    status, body = await b.post(url, {"type": "cam-offer", "payload": offer(2), "source": "phone"})
    assert status == 403 and body["code"] == "INVALID_TOKEN"
    await desktop.expect_silence()
    assert (
        await b.post(
            url, {"type": "cam-answer", "payload": answer(3), "source": "desktop"}, code_msg["resumeToken"]
        )
    )[0] == 200
    assert (await phone.recv("cam-answer"))["payload"] == answer(3)
