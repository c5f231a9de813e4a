"""The simulated phone's two ways to talk to the signaling server: a WebSocket (with resume after a drop)
or REST only (POST to send, long-poll GET to receive), as PROTOCOL.md describes them. Both announce the
phone's capabilities in `cam-join` (or `payload: null`, like the deployed page) and drop a numbered
message that comes twice; the WebSocket also acknowledges (the ack extension)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from desktop_receiver.backoff import Backoff
from desktop_receiver.pairing.acks import AckTracker
from desktop_receiver.simphone.trust import Trust
from desktop_receiver.urls import http_url, ws_url
from signaling.protocol import Capabilities, MsgType, Role, encode, message, relayed
from signaling.tasks import cancel_and_wait

log = logging.getLogger(__name__)
# A test tool: no jitter, so a test's timing does not vary from run to run.
RECONNECT = Backoff(initial=0.2, maximum=2.0, jitter=0.0)
POLL_RETRY = Backoff(initial=0.1, maximum=2.0, jitter=0.0)
ACK_DELAY = 0.05


class PhoneSignalingError(RuntimeError):
    """The server refused the phone (a `cam-error` or a 4xx answer)."""


class PhoneTransport:
    """Common part: incoming messages land in `inbox`, in order, each once. `caps`: what the phone
    announces in its cam-join (None: nothing, `payload: null`); `ssl`: which certificates an https or
    wss server may present (simphone.trust)."""

    def __init__(self, server: str, code: str, caps: Capabilities | None = None, ssl: Trust = True) -> None:
        self.server = server
        self.code = code
        self.caps = caps
        self.ssl = ssl
        # A REST reply is a delivery: nothing to acknowledge, only duplicates to drop.
        self.acks = AckTracker(ACK_DELAY, lambda _seq: True)
        self.resume_token: str | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    async def join(self) -> None:
        """Joins the session; raises PhoneSignalingError when the server refuses (and aiohttp's
        ClientError, e.g. ClientConnectorCertificateError, when it cannot be reached)."""
        raise NotImplementedError

    def _session(self) -> aiohttp.ClientSession:
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.ssl))
        return self._http

    async def send(self, msg: dict[str, Any]) -> None:
        """Sends one message to the desktop (through the server)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Leaves: closes the connection and stops reading."""
        self.closed = True
        await cancel_and_wait(self._task)
        if self._http is not None:
            await self._http.close()


class WsTransport(PhoneTransport):
    """A WebSocket like the phone page's; after `drop()` it reconnects and resumes with its token."""

    def __init__(self, server: str, code: str, caps: Capabilities | None = None, ssl: Trust = True) -> None:
        super().__init__(server, code, caps, ssl)
        self.acks = AckTracker(ACK_DELAY, self._send_ack)
        self._side: set[asyncio.Task[None]] = set()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._joined: asyncio.Future[dict[str, Any]] | None = None
        self.resumes = 0
        self.resumed = asyncio.Event()  # set on each `cam-resumed`

    async def join(self) -> None:
        """Connects and sends `cam-join`; returns on `cam-joined`."""
        self._ws = await self._session().ws_connect(ws_url(self.server))
        self._joined = asyncio.get_running_loop().create_future()
        self._task = asyncio.get_running_loop().create_task(self._read())
        await self._ws.send_str(encode(relayed(MsgType.JOIN, self.code, _payload(self.caps))))
        reply = await asyncio.wait_for(self._joined, 10.0)
        if reply.get("type") == MsgType.ERROR:
            raise PhoneSignalingError(f"join refused: {reply.get('code')} {reply.get('message', '')}")
        token = reply.get("resumeToken")
        self.resume_token = token if isinstance(token, str) else None

    async def _read(self) -> None:
        while not self.closed:
            assert self._ws is not None
            async for frame in self._ws:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    continue
                msg = json.loads(frame.data)
                if not isinstance(msg, dict):
                    continue
                if (
                    self._joined is not None
                    and not self._joined.done()
                    and msg.get("type")
                    in (
                        MsgType.JOINED,
                        MsgType.ERROR,
                    )
                ):
                    self._joined.set_result(msg)
                elif msg.get("type") == MsgType.RESUMED:
                    self.acks.new_socket()
                    self.resumed.set()
                elif self.acks.first_time(msg):
                    self.inbox.put_nowait(msg)
            if self.closed or not self.resume_token:
                return
            await self._resume()

    async def _resume(self) -> None:
        """The socket dropped: reconnect (a few times) and `cam-resume` as the phone."""
        assert self._http is not None
        for attempt in range(1, 11):
            await asyncio.sleep(RECONNECT.delay(attempt))
            try:
                self._ws = await self._http.ws_connect(ws_url(self.server))
            except (aiohttp.ClientError, OSError) as exc:
                log.info("phone reconnect failed: %s", exc)
                continue
            await self._ws.send_str(
                encode(message(MsgType.RESUME, code=self.code, resumeToken=self.resume_token))
            )
            self.resumes += 1
            return
        self.closed = True

    def _send_ack(self, seq: int) -> bool:
        ws = self._ws
        if ws is None or ws.closed:
            return False
        task = asyncio.get_running_loop().create_task(
            ws.send_str(encode(message(MsgType.ACK, code=self.code, seq=seq)))
        )
        self._side.add(task)
        task.add_done_callback(self._side.discard)
        return True

    async def send(self, msg: dict[str, Any]) -> None:
        """Sends on the current socket (a message sent while it is down is lost, as in a browser)."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_str(encode(msg))

    async def drop(self) -> None:
        """Closes the socket as a network drop would; the reader reconnects and resumes."""
        if self._ws is not None:
            await self._ws.close()

    async def close(self) -> None:
        """Leaves for good."""
        self.closed = True
        self.acks.cancel()
        if self._ws is not None:
            await self._ws.close()
        await super().close()


class RestTransport(PhoneTransport):
    """REST only: `POST /cam/signal/{code}` to send, `GET ...?source=phone&wait=N` to receive; every
    request after the join carries the phone's token (our server lets only its holder act for it)."""

    def __init__(
        self, server: str, code: str, caps: Capabilities | None = None, ssl: Trust = True, wait: float = 5.0
    ) -> None:
        super().__init__(server, code, caps, ssl)
        self.wait = wait
        self._url = f"{http_url(server)}/cam/signal/{code}"

    async def join(self) -> None:
        """Posts `cam-join` (which really joins on our server) and starts polling."""
        self._session()
        body = await self._post(relayed(MsgType.JOIN, self.code, _payload(self.caps)))
        token = body.get("resumeToken")
        self.resume_token = token if isinstance(token, str) else None
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def _post(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None
        body = {"type": msg["type"], "payload": msg.get("payload"), "source": str(Role.PHONE)}
        if self.resume_token is not None:
            body["resumeToken"] = self.resume_token
        async with self._http.post(self._url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise PhoneSignalingError(f"POST {msg['type']} -> {resp.status}: {data}")
            return data if isinstance(data, dict) else {}

    async def _poll(self) -> None:
        assert self._http is not None
        failures = 0
        while not self.closed:
            try:
                async with self._http.get(
                    self._url,
                    params={"source": str(Role.PHONE), "wait": str(self.wait)},
                    headers=self._auth(),
                    timeout=aiohttp.ClientTimeout(total=self.wait + 10),
                ) as resp:
                    data = await resp.json(content_type=None)
                failures = 0
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                failures += 1
                log.info("poll failed (%d): %s", failures, exc)
                if failures > 20:
                    return
                await asyncio.sleep(POLL_RETRY.delay(failures))
                continue
            for msg in data.get("messages", []) if isinstance(data, dict) else []:
                if isinstance(msg, dict) and self.acks.first_time(msg):
                    self.inbox.put_nowait(msg)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.resume_token}"} if self.resume_token else {}

    async def send(self, msg: dict[str, Any]) -> None:
        """Posts one message."""
        await self._post(msg)


def _payload(caps: Capabilities | None) -> dict[str, bool] | None:
    return caps.to_payload() if caps else None


def make_transport(
    kind: str, server: str, code: str, caps: Capabilities | None = None, ssl: Trust = True
) -> PhoneTransport:
    """`ws` or `rest`, announcing `caps` in the cam-join and trusting `ssl` on https/wss."""
    if kind == "ws":
        return WsTransport(server, code, caps, ssl)
    if kind == "rest":
        return RestTransport(server, code, caps, ssl)
    raise ValueError(f"transport must be ws or rest, not {kind!r}")
