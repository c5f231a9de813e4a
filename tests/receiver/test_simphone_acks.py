"""The simulated phone's WebSocket announces what it does, and after a resume drops what the server
sends again (it had not acknowledged it yet), then acknowledges: each message reaches it once."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from desktop_receiver.simphone.transport import WsTransport
from signaling.protocol import Capabilities
from tests.signaling.conftest import candidate

CAPS = Capabilities(offers=True, resume=True, ack=True)


async def test_the_phone_drops_what_comes_again_after_a_resume(server) -> None:
    async with aiohttp.ClientSession() as http:
        desktop = await http.ws_connect(server.ws_url)
        await desktop.send_str(json.dumps({"type": "cam-create"}))
        code = json.loads((await desktop.receive(timeout=5)).data)["code"]
        phone = WsTransport(server.http_url, code, CAPS)
        phone.acks.delay = 30.0  # no acknowledgement before the drop: the server sends all again
        await phone.join()
        joined = json.loads((await desktop.receive(timeout=5)).data)
        assert joined["payload"] == CAPS.to_payload()

        async def send(numbers: range) -> None:
            for n in numbers:
                await desktop.send_str(json.dumps({"type": "cam-ice", "code": code, "payload": candidate(n)}))

        def number(msg: dict) -> int:
            return int(msg["payload"]["candidate"].split()[0].removeprefix("candidate:"))

        await send(range(1, 6))
        got = [number(await asyncio.wait_for(phone.inbox.get(), 10)) for _ in range(5)]
        await phone.drop()
        phone.acks.cancel()  # the acknowledgement held back above is dropped with the socket
        phone.acks.delay = 0.05
        await asyncio.wait_for(phone.resumed.wait(), 10)
        await send(range(6, 9))
        got += [number(await asyncio.wait_for(phone.inbox.get(), 10)) for _ in range(3)]
        await asyncio.sleep(0.3)
        assert got == list(range(1, 9)) and phone.inbox.empty()
        assert phone.acks.duplicates == 5 and phone.acks.acked == phone.acks.seen
        await phone.close()
        await desktop.close()
