"""*ext* The acknowledgement extension on both stores: a client that announced `ack` gets each queued
message with its `seq` and keeps getting it, after every resume, until it acknowledges it; a
base-protocol client sees nothing of it."""

from __future__ import annotations

from typing import Any

from tests.signaling.conftest import Harness, WsPeer, candidate

ACKS = {"ack": True, "resume": True}


async def pair(srv: Harness, desktop_caps: Any, phone_caps: Any) -> tuple[WsPeer, WsPeer, dict[str, Any]]:
    desktop = await srv.ws()
    await desktop.send({"type": "cam-create", "payload": desktop_caps})
    code_msg = await desktop.recv("cam-code")
    phone = await srv.ws()
    await phone.send({"type": "cam-join", "code": code_msg["code"], "payload": phone_caps})
    await phone.recv("cam-joined")
    return desktop, phone, code_msg


def data(code: str, n: int) -> dict[str, Any]:
    return {"type": "cam-data", "code": code, "payload": {"n": n}}


def ice(code: str, n: int) -> dict[str, Any]:
    """A candidate (queued for a role that is away, unlike cam-data) numbered n."""
    return {"type": "cam-ice", "code": code, "payload": candidate(n)}


def number(msg: dict[str, Any]) -> int:
    return int(msg["payload"]["candidate"].split()[0].removeprefix("candidate:"))


async def test_base_clients_get_no_numbers(srv: Harness) -> None:
    desktop, phone, code_msg = await pair(srv, None, None)
    code = code_msg["code"]
    assert "seq" not in await desktop.recv("cam-peer-joined")
    await phone.send(data(code, 1))
    assert await desktop.recv("cam-data") == data(code, 1)
    await desktop.send(data(code, 2))
    assert await phone.recv("cam-data") == data(code, 2)


async def test_unacknowledged_messages_come_again_after_a_resume_in_order_once(srv: Harness) -> None:
    desktop, phone, code_msg = await pair(srv, ACKS, None)
    code, token = code_msg["code"], code_msg["resumeToken"]
    joined = await desktop.recv("cam-peer-joined")
    for n in range(1, 6):
        await phone.send(ice(code, n))
    got = [await desktop.recv("cam-ice") for _ in range(5)]
    assert [number(m) for m in got] == [1, 2, 3, 4, 5]
    seqs = [m["seq"] for m in got]
    assert seqs == list(range(joined["seq"] + 1, joined["seq"] + 6))
    # Acknowledged up to the third; the fourth and fifth were written to a socket that then died.
    await desktop.send({"type": "cam-ack", "code": code, "seq": seqs[2]})
    await desktop.close()
    await phone.send(ice(code, 6))  # queued while the desktop is away
    again = await srv.ws()
    await again.send({"type": "cam-resume", "code": code, "resumeToken": token})
    await again.recv("cam-resumed")
    redelivered = [await again.recv("cam-ice") for _ in range(3)]
    assert [number(m) for m in redelivered] == [4, 5, 6]
    assert [m["seq"] for m in redelivered] == [seqs[3], seqs[4], seqs[4] + 1]
    await again.expect_silence()  # each once on this socket
    # Acknowledged: a later resume gets nothing again.
    await again.send({"type": "cam-ack", "code": code, "seq": redelivered[-1]["seq"]})
    await phone.send(ice(code, 7))
    assert number(await again.recv("cam-ice")) == 7
    await again.close()
    third = await srv.ws()
    await third.send({"type": "cam-resume", "code": code, "resumeToken": token})
    await third.recv("cam-resumed")
    assert [number(m) for m in [await third.recv("cam-ice")]] == [7]
    await third.expect_silence()


async def test_the_phone_acknowledges_too(srv: Harness) -> None:
    desktop, phone, code_msg = await pair(srv, None, ACKS)
    code = code_msg["code"]
    await desktop.recv("cam-peer-joined")
    await desktop.send(data(code, 1))
    got = await phone.recv("cam-data")
    assert got["payload"] == {"n": 1} and isinstance(got["seq"], int)
    await desktop.send(data(code, 2))
    assert (await phone.recv("cam-data"))["seq"] == got["seq"] + 1
    # The desktop (base) sees no numbers even though the phone acknowledges.
    await phone.send(data(code, 3))
    assert "seq" not in await desktop.recv("cam-data")


async def test_a_rest_poll_of_an_acknowledging_phone_carries_the_numbers(srv: Harness) -> None:
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    body = {"type": "cam-join", "payload": ACKS, "source": "phone"}
    status, _ = await srv.post(f"/cam/signal/{code}", body)
    assert status == 200
    await desktop.send(data(code, 1))
    status, polled = await srv.get(f"/cam/signal/{code}?source=phone")
    assert status == 200 and [m["payload"] for m in polled["messages"]] == [{"n": 1}]
    assert isinstance(polled["messages"][0]["seq"], int)
    status, polled = await srv.get(f"/cam/signal/{code}?source=phone")
    assert polled["messages"] == []  # a reply is a delivery: nothing comes twice over REST


async def test_bad_acks_get_clear_errors_and_the_socket_goes_on(srv: Harness) -> None:
    lone = await srv.ws()
    await lone.send({"type": "cam-ack", "seq": 1})
    assert (await lone.recv("cam-error"))["code"] == "NOT_JOINED"
    desktop, phone, code_msg = await pair(srv, ACKS, None)
    code = code_msg["code"]
    for seq in (-1, "3", 1.5, None, True):
        await desktop.send({"type": "cam-ack", "code": code, "seq": seq})
        err = await desktop.recv("cam-error")
        assert err["code"] == "BAD_MESSAGE" and "seq" in err["message"]
    await desktop.send({"type": "cam-ack", "code": code, "seq": 10**6})  # past the last: drops all
    await phone.send(data(code, 1))
    assert (await desktop.recv("cam-data"))["payload"] == {"n": 1}
