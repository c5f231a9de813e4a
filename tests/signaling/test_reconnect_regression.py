"""The base server's bug: a relay to a socket that closed while its peer reconnected was lost.
Here every message reaches the live socket, in order, exactly once."""

from __future__ import annotations

import asyncio

from tests.signaling.conftest import Harness, answer, candidate, offer


async def test_desktop_drops_mid_handshake_rest_phone_messages_all_arrive(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code, token = code_msg["code"], code_msg["resumeToken"]
    status, _ = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"}
    )
    assert status == 200
    await desktop.recv("cam-peer-joined")
    await desktop.ws.close()  # drops before the offer
    await asyncio.sleep(0.05)
    sent = [{"type": "cam-offer", "payload": offer(1)}] + [
        {"type": "cam-ice", "payload": candidate(i)} for i in range(4)
    ]
    for body in sent:
        status, reply = await srv.post(f"/cam/signal/{code}", {**body, "source": "phone"})
        assert status == 200 and reply["delivered"] is False  # queued: nobody to deliver to
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": token})
    assert (await again.recv())["type"] == "cam-resumed"
    after = [{"type": "cam-ice", "payload": candidate(i)} for i in range(4, 7)]
    for body in after:
        await srv.post(f"/cam/signal/{code}", {**body, "source": "phone"})
    got = [await again.recv() for _ in range(len(sent) + len(after))]
    assert [(m["type"], m["payload"]) for m in got] == [(b["type"], b["payload"]) for b in sent + after]
    await again.expect_silence(0.5)


async def test_phone_socket_drops_desktop_messages_all_arrive(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, joined = await srv.phone(code)
    await phone.send({"type": "cam-offer", "code": code, "payload": offer(1)})
    await desktop.recv("cam-offer")
    await phone.ws.close()
    assert (await desktop.recv("cam-peer-left"))["role"] == "phone"
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(1)})
    for i in range(3):
        await desktop.send({"type": "cam-ice", "code": code, "payload": candidate(i)})
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": joined["resumeToken"]})
    assert await again.recv() == {"type": "cam-resumed", "code": code, "role": "phone"}
    got = [await again.recv() for _ in range(4)]
    assert [m["type"] for m in got] == ["cam-answer", "cam-ice", "cam-ice", "cam-ice"]
    assert [m["payload"] for m in got[1:]] == [candidate(i) for i in range(3)]
    await again.expect_silence(0.5)


async def test_resume_replaces_a_half_open_socket(srv: Harness) -> None:
    """A resume while the old socket still looks open: the old one is closed, the new one gets all."""
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone, _ = await srv.phone(code)
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": code_msg["resumeToken"]})
    await again.recv("cam-resumed")
    await phone.send({"type": "cam-offer", "code": code, "payload": offer(3)})
    assert (await again.recv("cam-offer"))["payload"] == offer(3)
    # The replaced socket is closed by the server; its close does not unbind the new one.
    # Text frames still in flight may come first; the whole wait is bounded.
    async with asyncio.timeout(5):
        frame = await desktop.ws.receive(timeout=2)
        while frame.type.name == "TEXT":
            frame = await desktop.ws.receive(timeout=2)
    assert frame.type.name == "CLOSE" and frame.data == 4000, frame
    await phone.send({"type": "cam-ice", "code": code, "payload": candidate(1)})
    assert (await again.recv("cam-ice"))["payload"] == candidate(1)


async def test_rest_only_phone_pairs_with_ws_desktop(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    status, joined = await srv.post(
        f"/cam/signal/{code}", {"type": "cam-join", "payload": None, "source": "phone"}
    )
    assert status == 200 and joined["resumeToken"]
    await desktop.recv("cam-peer-joined")
    await srv.post(f"/cam/signal/{code}", {"type": "cam-offer", "payload": offer(5), "source": "phone"})
    for i in range(3):
        await srv.post(f"/cam/signal/{code}", {"type": "cam-ice", "payload": candidate(i), "source": "phone"})
    await srv.post(f"/cam/signal/{code}", {"type": "cam-ice", "payload": None, "source": "phone"})
    got = [await desktop.recv() for _ in range(5)]
    assert [m["type"] for m in got] == ["cam-offer"] + ["cam-ice"] * 4
    poll = asyncio.create_task(srv.get(f"/cam/signal/{code}?source=phone&wait=5"))
    await desktop.send({"type": "cam-answer", "code": code, "payload": answer(5)})
    await desktop.send({"type": "cam-ice", "code": code, "payload": None})
    status, body = await poll
    received = body["messages"]
    if len(received) < 2:
        received += (await srv.get(f"/cam/signal/{code}?source=phone&wait=2"))[1]["messages"]
    assert [m["type"] for m in received] == ["cam-answer", "cam-ice"]
    assert received[0]["payload"] == answer(5)
    # The REST phone counts as connected: cam-data reaches it.
    await desktop.send({"type": "cam-data", "code": code, "payload": {"hello": 1}})
    status, body = await srv.get(f"/cam/signal/{code}?source=phone&wait=2")
    assert body["messages"][0]["payload"] == {"hello": 1}
