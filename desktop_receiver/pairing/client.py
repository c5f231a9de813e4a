"""The agent's WebSocket client of the signaling server: opens a session (`cam-create`), keeps it across
socket drops (reconnect with back-off, `cam-resume` with the token), and falls back to a new code when the
server cannot resume (the base server has no resume at all). It sends no `Origin` header (a client
without one is always allowed) and ignores message types it does not know (the base server pushes
`tournaments`, `matches`, `announcement` to every socket).

*ext* It announces `ack` in the payload of its `cam-create` (a base server ignores the field): our
server then numbers what it delivers (`seq`) and keeps it until acknowledged (acks.py drops what comes
twice and acknowledges)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import aiohttp

from desktop_receiver.backoff import Backoff
from desktop_receiver.pairing.acks import AckTracker
from desktop_receiver.pairing.interface import ClientListener, ClientOptions, PairingInfo, phone_url_for
from desktop_receiver.pairing.states import OPEN_STATES, ClientEvent, ClientState, next_state
from desktop_receiver.urls import http_url
from signaling.protocol import Capabilities, ErrorName, MsgType, encode, message
from signaling.tasks import cancel_and_wait

log = logging.getLogger(__name__)
KNOWN_TYPES = frozenset(t.value for t in MsgType)
STABLE_SOCKET_SECONDS = 5.0
# What the agent announces in cam-create: it acknowledges numbered messages and resumes. (It answers
# and offers as needed; `offers` is the phone's flag.)
DESKTOP_CAPABILITIES = Capabilities(resume=True, ack=True)


class SignalingClient:
    """Keeps one desktop session open on a signaling server. Its state (`state`) moves only along
    `states.TRANSITIONS`."""

    def __init__(self, url: str, listener: ClientListener, options: ClientOptions | None = None) -> None:
        self.url = url
        self.listener = listener
        self.options = options or ClientOptions()
        self.info: PairingInfo | None = None
        self.state = ClientState.DISCONNECTED
        self._backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: deque[dict[str, Any]] = deque()
        self._resume_timer: asyncio.TimerHandle | None = None
        self._renew_reason: str | None = None
        self._ever_connected = False
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.acks = AckTracker(self.options.ack_delay, self._send_ack)

    @property
    def connected(self) -> bool:
        """True while a socket to the server is open."""
        return self.state in OPEN_STATES

    def _move(self, event: ClientEvent) -> bool:
        """Takes the transition of `event`; False (and no change) where the table has none."""
        after = next_state(self.state, event)
        if after is None:
            log.debug("ignoring %s in state %s", event, self.state)
            return False
        log.debug("%s: %s -> %s", event, self.state, after)
        self.state = after
        return True

    async def start(self) -> None:
        """Starts the connection loop (returns at once; the code arrives through `on_code`)."""
        self._http = aiohttp.ClientSession()
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(self._run_ended)

    def _run_ended(self, task: asyncio.Task[None]) -> None:
        # The loop ends by itself only when stopping or giving up; anything else is a bug that would
        # leave the agent without signaling and no word about it.
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("the signaling connection loop failed", exc_info=exc)
            self.listener.on_fatal(f"the signaling client failed: {type(exc).__name__}: {exc}")

    async def stop(self) -> None:
        """Closes the socket and stops reconnecting."""
        self._move(ClientEvent.STOP)
        self._cancel_resume_timer()
        self.acks.cancel()
        if self._ws is not None:
            await self._ws.close()
        await cancel_and_wait(self._task)
        if self._http is not None:
            await self._http.close()

    async def send(self, msg: dict[str, Any]) -> None:
        """Sends a message now, or queues it until the session is back (resumed) on a new socket."""
        if self.state is ClientState.READY and self._ws is not None and not self._ws.closed:
            try:
                await self._ws.send_str(encode(msg))
                return
            except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
                log.info("send failed, queued for after the reconnect: %s", exc)
        if len(self._pending) >= self.options.send_queue_limit:
            self._pending.popleft()
        self._pending.append(msg)

    async def post_calibration(self, code: str, calibration: dict[str, Any]) -> None:
        """Stores the calibration on the server (`POST /cam/calibration/{code}`, base protocol too)."""
        if self._http is None:
            return
        url = http_url(self.url, f"/cam/calibration/{code}")
        ssl_option = self.options.ssl if self.options.ssl is not None else True
        timeout = aiohttp.ClientTimeout(total=self.options.connect_timeout)
        async with self._http.post(url, json=calibration, ssl=ssl_option, timeout=timeout) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(
                    resp.request_info, (), status=resp.status, message=(await resp.text())[:200]
                )

    async def renew(self, reason: str) -> None:
        """Drops the current code and asks for a new one (e.g. it expired with no phone)."""
        self._fall_back(reason)
        if self._move(ClientEvent.RENEW) and self.state is ClientState.CREATING:
            await self._create()

    # -- connection loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        first_try = time.monotonic()
        while self.state is not ClientState.STOPPED:
            reason, held = await self._connect_and_serve()
            # The back-off starts over only after a socket that held: a server that accepts and
            # drops at once must not be hammered at the shortest delay.
            if held > STABLE_SOCKET_SECONDS:
                attempt = 0
            if self.state is ClientState.STOPPED:
                return
            reason = reason or "closed by the server"
            if not self._ever_connected and time.monotonic() - first_try > self.options.give_up_after:
                self.listener.on_fatal(f"signaling server {self.url} unreachable: {reason}")
                return
            attempt += 1
            delay = self._backoff.delay(attempt)
            self.listener.on_disconnected(attempt, round(delay, 3), reason)
            await asyncio.sleep(delay)

    async def _connect_and_serve(self) -> tuple[str | None, float]:
        """One socket: connects and serves it until it closes. Returns why it ended (None: the server
        closed it) and how many seconds it was open."""
        assert self._http is not None
        try:
            # aiohttp's own connect limits are minutes long: the whole connect (TCP, TLS, upgrade)
            # gets connect_timeout; ClientWSTimeout bounds only the close handshake.
            async with asyncio.timeout(self.options.connect_timeout):
                self._ws = await self._http.ws_connect(
                    self.url,
                    heartbeat=self.options.heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_close=self.options.connect_timeout),
                    max_msg_size=1 << 20,
                    ssl=self.options.ssl if self.options.ssl is not None else True,
                )
        except TimeoutError:
            return f"cannot connect: no answer within {self.options.connect_timeout:g} s", 0.0
        except (aiohttp.ClientError, OSError) as exc:
            return f"cannot connect: {exc}", 0.0
        self._ever_connected = True
        opened = time.monotonic()
        reason = None
        try:
            await self._serve_socket()
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            reason = f"socket failed: {exc}"  # a send on a socket that had just died
        finally:
            self._move(ClientEvent.CLOSED)
            self._cancel_resume_timer()
        if self._ws.exception() is not None:
            reason = f"socket error: {self._ws.exception()}"
        self._ws = None
        return reason, time.monotonic() - opened

    async def _serve_socket(self) -> None:
        assert self._ws is not None
        info = self.info
        if info is not None and info.resume_token:
            self._move(ClientEvent.OPENED_WITH_TOKEN)
            await self._ws.send_str(
                encode(message(MsgType.RESUME, code=info.code, resumeToken=info.resume_token))
            )
            self._resume_timer = asyncio.get_running_loop().call_later(
                self.options.resume_timeout, self._resume_timed_out
            )
        else:
            if info is not None:
                self._fall_back("the server gave no resume token")
            self._move(ClientEvent.OPENED)
            await self._create()
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                msg = json.loads(frame.data)
            except ValueError:
                log.warning("ignoring a non-JSON frame from the server")
                continue
            if isinstance(msg, dict) and self.acks.first_time(msg):
                await self._handle_one(msg)

    def _send_ack(self, seq: int) -> bool:
        ws, info = self._ws, self.info
        if self.state is not ClientState.READY or ws is None or ws.closed or info is None:
            return False  # the resume on the next socket brings the unacknowledged ones again
        task = asyncio.get_running_loop().create_task(
            ws.send_str(encode(message(MsgType.ACK, code=info.code, seq=seq)))
        )
        self._side_tasks.add(task)
        task.add_done_callback(self._side_task_done)
        return True

    async def _handle_one(self, msg: dict[str, Any]) -> None:
        """Handles one message; a message that cannot be handled costs that message, not the client."""
        try:
            await self._handle(msg)
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            raise  # a send on a socket that had just died: the connection loop reconnects
        except Exception as exc:
            log.exception("handling %r from the server failed", msg)
            reason = f"{type(exc).__name__}: {exc}"
            self.listener.on_bad_message(f"cannot handle a message from the server: {reason}")

    def _fall_back(self, reason: str) -> None:
        """The old session is gone: forget it, and report the next code as renewed."""
        self.info = None
        self._pending.clear()
        self._renew_reason = reason
        self.acks.reset()

    def _resume_timed_out(self) -> None:
        self._resume_timer = None
        if self._ws is not None and not self._ws.closed and self._move(ClientEvent.RESUME_TIMED_OUT):
            self._fall_back("the server did not resume the session")
            task = asyncio.get_running_loop().create_task(self._create())
            self._side_tasks.add(task)
            task.add_done_callback(self._side_task_done)

    def _side_task_done(self, task: asyncio.Task[None]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The socket died under the send: the connection loop notices it and reconnects.
            log.info("a send on the socket failed: %s", task.exception())

    async def _create(self) -> None:
        """Asks the server for a new session (`cam-create`) on the current socket."""
        assert self._ws is not None
        self.acks.reset()
        await self._ws.send_str(encode(message(MsgType.CREATE, payload=DESKTOP_CAPABILITIES.to_payload())))

    def _cancel_resume_timer(self) -> None:
        if self._resume_timer is not None:
            self._resume_timer.cancel()
            self._resume_timer = None

    async def _flush(self) -> None:
        code = self.info.code if self.info else None
        while self._pending and self._ws is not None and not self._ws.closed:
            msg = self._pending[0]
            # Queued for a session that was replaced by a new code meanwhile: nobody is there for it.
            if msg.get("code") in (None, code):
                # Sent before it leaves the queue: if the socket dies under this send, the message is
                # still queued for the next socket.
                await self._ws.send_str(encode(msg))
            if self._pending and self._pending[0] is msg:
                self._pending.popleft()

    async def _handle(self, msg: dict[str, Any]) -> None:
        type_ = msg.get("type")
        if not isinstance(type_, str):
            self.listener.on_bad_message(f"ignoring a message from the server whose type is {type_!r}")
            return
        if type_ not in KNOWN_TYPES:
            log.debug("ignoring unrelated push %r", type_)
            return
        handler = self._HANDLERS.get((self.state, type_))
        if type_ == MsgType.CODE:  # in any state: the server has (re)opened our session
            await self._on_code(msg)
        elif handler is not None:
            await handler(self, msg)
        elif type_ == MsgType.ERROR and msg.get("ref") == MsgType.CREATE:
            # cam-create itself failed (rate limit, server trouble): tell the agent, close, retry later.
            self.listener.on_message(msg)
            if self._ws is not None:
                await self._ws.close()
        elif (
            type_ == MsgType.ERROR
            and msg.get("code") == ErrorName.EXPIRED
            and self.state is ClientState.READY
        ):
            # Our server ends a session (code expired, or the phone did not come back) with EXPIRED.
            self.listener.on_message(msg)
            self._move(ClientEvent.SESSION_ENDED)
            self._fall_back(f"the server ended the session: {msg.get('message', 'expired')}")
            await self._create()
        else:
            self.listener.on_message(msg)

    async def _on_code(self, msg: dict[str, Any]) -> None:
        code = msg.get("code")
        if not isinstance(code, str) or not code:
            log.warning("cam-code without a code: %r", msg)
            return
        self._move(ClientEvent.CODE)
        self._cancel_resume_timer()
        expires = msg.get("expiresAt")
        token = msg.get("resumeToken")
        url = msg.get("phoneUrl")
        self.info = PairingInfo(
            code=code,
            expires_at=expires / 1000.0 if isinstance(expires, int | float) else None,
            resume_token=token if isinstance(token, str) else None,
            phone_url=url if isinstance(url, str) and url else phone_url_for(self.url, code),
            extended=isinstance(token, str),
        )
        reason, self._renew_reason = self._renew_reason, None
        self.listener.on_code(self.info, renewed=reason is not None, reason=reason)
        await self._flush()

    async def _on_resumed(self, msg: dict[str, Any]) -> None:
        assert self.info is not None  # RESUMING holds a session
        self._cancel_resume_timer()
        self._move(ClientEvent.RESUMED)
        self.listener.on_resumed(self.info)
        # The negotiator learns from it what the phone announced (`peer`), in order with what follows.
        self.listener.on_message(msg)
        self.acks.new_socket()
        await self._flush()

    async def _on_resume_refused(self, msg: dict[str, Any]) -> None:
        # INVALID_TOKEN, INVALID_CODE, EXPIRED, UNKNOWN_TYPE (a server without resume): start over.
        self._cancel_resume_timer()
        self._move(ClientEvent.RESUME_REFUSED)
        refusal = f"{msg.get('code')} {msg.get('message', '')}".strip()
        self._fall_back(f"the server refused to resume: {refusal}")
        await self._create()

    # The messages whose meaning depends on the state (the rest go to the listener).
    _HANDLERS: ClassVar[dict[tuple[ClientState, str], Callable[..., Awaitable[None]]]] = {
        (ClientState.RESUMING, MsgType.RESUMED): _on_resumed,
        (ClientState.RESUMING, MsgType.ERROR): _on_resume_refused,
    }
