"""*ext* What a phone announces in its `cam-join` payload reaches the desktop, over WebSocket and REST,
and stays in the session: a desktop that resumes later is told it again. On both stores."""

from __future__ import annotations

from signaling.protocol import Capabilities
from tests.signaling.conftest import Harness

OURS = {"offers": True, "resume": True, "ack": True}


async def test_a_base_phone_announces_nothing_and_the_desktop_sees_the_base_shape(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    await srv.phone(code_msg["code"])
    assert await desktop.recv("cam-peer-joined") == {"type": "cam-peer-joined", "code": code_msg["code"]}


async def test_the_phones_announcement_reaches_the_desktop_over_the_socket(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone = await srv.ws()
    # Unknown fields and non-boolean values are ignored, as every peer ignores unknown fields.
    payload = {"offers": True, "resume": True, "ack": True, "future": 1, "extra": {"x": 1}}
    await phone.send({"type": "cam-join", "code": code, "payload": payload})
    await phone.recv("cam-joined")
    joined = await desktop.recv("cam-peer-joined")
    assert joined == {"type": "cam-peer-joined", "code": code, "payload": OURS}


async def test_the_phones_announcement_reaches_the_desktop_over_rest(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    body = {"type": "cam-join", "payload": {"offers": False, "resume": "yes"}, "source": "phone"}
    status, reply = await srv.post(f"/cam/signal/{code}", body)
    assert status == 200 and reply["type"] == "cam-joined"
    joined = await desktop.recv("cam-peer-joined")
    assert joined["payload"] == {"offers": False, "resume": False, "ack": False}


async def test_a_desktop_that_resumes_is_told_what_the_phone_announced(make_server) -> None:
    # Two instances on Redis (one store in memory): the resume lands on the other one.
    first = await make_server()
    second = await make_server() if first.server.config.redis_url else first
    desktop, code_msg = await first.desktop()
    code, token = code_msg["code"], code_msg["resumeToken"]
    phone = await first.ws()
    await phone.send({"type": "cam-join", "code": code, "payload": {"offers": True, "ack": True}})
    await phone.recv("cam-joined")
    await desktop.recv("cam-peer-joined")
    await desktop.close()
    again = await second.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": token})
    resumed = await again.recv("cam-resumed")
    assert resumed["peer"] == {"offers": True, "resume": False, "ack": True}


async def test_a_phone_that_joins_again_replaces_its_announcement(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    phone = await srv.ws()
    await phone.send({"type": "cam-join", "code": code, "payload": OURS})
    joined = await phone.recv("cam-joined")
    await desktop.recv("cam-peer-joined")
    await phone.close()
    # Rejoined with its token by a page that announces nothing (the deployed page's way).
    again = await srv.ws()
    await again.send(
        {"type": "cam-join", "code": code, "payload": None, "resumeToken": joined["resumeToken"]}
    )
    await again.recv("cam-joined")
    assert "payload" not in await desktop.recv("cam-peer-joined")


def test_capabilities_from_payload() -> None:
    assert Capabilities.from_payload(None) is None
    assert Capabilities.from_payload("offers") is None
    assert Capabilities.from_payload({}) is None
    assert Capabilities.from_payload({"unknown": True}) is None
    assert Capabilities.from_payload({"offers": 1}) == Capabilities()
    assert Capabilities.from_payload(OURS) == Capabilities(offers=True, resume=True, ack=True)
    assert Capabilities(ack=True).to_payload() == {"offers": False, "resume": False, "ack": True}
