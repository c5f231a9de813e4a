"""A minimal WebDriver BiDi client: what the browser tests need to drive Firefox through the Remote
Agent built into it (`--remote-debugging-port`), with no geckodriver. One WebSocket, commands matched
to their replies by id, events (the page's console) handed to callbacks.
The protocol: https://w3c.github.io/webdriver-bidi/"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

COMMAND_TIMEOUT = 30.0


class BidiError(RuntimeError):
    """A command answered with an error, or the connection closed first."""


class BidiSession:
    """One WebDriver BiDi session over one WebSocket."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._http, self._ws = http, ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, ws_url: str, accept_insecure_certs: bool = False) -> BidiSession:
        """Opens `ws_url` (ws://host:port/session) and starts a session; `accept_insecure_certs`
        lets the session's pages open HTTPS with a certificate the browser does not trust."""
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(ws_url, max_msg_size=64 * 1024 * 1024)
        except BaseException:
            await http.close()
            raise
        session = cls(http, ws)
        try:
            capabilities = {"alwaysMatch": {"acceptInsecureCerts": accept_insecure_certs}}
            await session.send("session.new", {"capabilities": capabilities})
        except BaseException:
            await session.close()
            raise
        return session

    def on(self, event: str, handler: Callable[[dict[str, Any]], None]) -> None:
        """Calls `handler(params)` for every event of that name (subscribe to it as well)."""
        self._handlers.setdefault(event, []).append(handler)

    async def send(self, method: str, params: dict[str, Any], timeout: float = COMMAND_TIMEOUT) -> Any:
        """Sends one command and returns its result; a BiDi error raises BidiError."""
        command_id = next(self._ids)
        reply = self._pending[command_id] = asyncio.get_running_loop().create_future()
        try:
            await self._ws.send_str(json.dumps({"id": command_id, "method": method, "params": params}))
            message = await asyncio.wait_for(reply, timeout)
        finally:
            self._pending.pop(command_id, None)
        if message.get("type") == "error":
            raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
        return message.get("result")

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                reply = self._pending.get(message.get("id"))
                if reply is not None and not reply.done():
                    reply.set_result(message)
                for handler in self._handlers.get(message.get("method", ""), []):
                    handler(message.get("params", {}))
        finally:
            for reply in self._pending.values():
                if not reply.done():
                    reply.set_exception(BidiError("the BiDi connection closed"))

    async def close(self) -> None:
        """Ends the session (if the browser still answers) and closes the socket."""
        with contextlib.suppress(Exception):
            await self.send("session.end", {}, timeout=5.0)
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._http.close()


def _text(value: dict[str, Any]) -> str:
    """A console argument (a BiDi RemoteValue) as text."""
    if "value" in value and not isinstance(value["value"], list | dict):
        return str(value["value"])
    return f"[{value.get('type', '?')}]"


class BidiPage:
    """The one top-level browsing context (tab) of a BiDi session, with the little the tests do to a
    page: navigate, evaluate, wait for a condition, take a screenshot, record the console."""

    def __init__(self, session: BidiSession, context: str) -> None:
        self.session, self.context = session, context

    @classmethod
    async def first(cls, session: BidiSession) -> BidiPage:
        """The browser's first tab."""
        tree = await session.send("browsingContext.getTree", {"maxDepth": 0})
        return cls(session, tree["contexts"][0]["context"])

    async def record_console(self, sink: Callable[[str], None]) -> None:
        """Sends each console entry and uncaught error of the page to `sink` as "level: text"."""

        def entry(params: dict[str, Any]) -> None:
            args = params.get("args")
            text = " ".join(_text(a) for a in args) if args else params.get("text", "")
            kind = "pageerror" if params.get("type") == "javascript" else params.get("level", "log")
            sink(f"{kind}: {text}")

        self.session.on("log.entryAdded", entry)
        await self.session.send("session.subscribe", {"events": ["log.entryAdded"]})

    async def set_viewport(self, width: int, height: int) -> None:
        """The page's viewport size in CSS pixels."""
        params = {"context": self.context, "viewport": {"width": width, "height": height}}
        await self.session.send("browsingContext.setViewport", params)

    async def goto(self, url: str) -> None:
        """Navigates and waits for the page's load event."""
        params = {"context": self.context, "url": url, "wait": "complete"}
        await self.session.send("browsingContext.navigate", params)

    async def reload(self) -> None:
        """Reloads and waits for the page's load event."""
        await self.session.send("browsingContext.reload", {"context": self.context, "wait": "complete"})

    async def evaluate(self, function: str) -> Any:
        """Calls a JavaScript function (source text, e.g. "() => 1") in the page, awaits its promise,
        and returns its result as JSON would carry it."""
        params = {
            "functionDeclaration": f"async () => JSON.stringify(await ({function})())",
            "target": {"context": self.context},
            "awaitPromise": True,
        }
        result = await self.session.send("script.callFunction", params)
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise BidiError(f"the page's script threw: {details.get('text')}")
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    async def wait_for_function(self, function: str, timeout: float, interval: float = 0.1) -> None:
        """Waits until a JavaScript function returns something truthy; TimeoutError after `timeout`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await self.evaluate(f"() => Boolean(({function})())"):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{function} stayed false for {timeout:g} s")
            await asyncio.sleep(interval)

    async def screenshot(self, path: str) -> None:
        """Writes a PNG of the page's viewport."""
        result = await self.session.send("browsingContext.captureScreenshot", {"context": self.context})
        await asyncio.to_thread(Path(path).write_bytes, base64.b64decode(result["data"]))

    async def inner_text(self, selector: str) -> str:
        """The rendered text of the first element that matches a CSS selector."""
        return await self.evaluate(f"() => document.querySelector({json.dumps(selector)}).innerText")

    async def fill(self, selector: str, text: str) -> None:
        """Types `text` into an input: its value, then the input event a user's typing fires."""
        await self.evaluate(
            f"""() => {{
              const el = document.querySelector({json.dumps(selector)});
              el.focus();
              el.value = {json.dumps(text)};
              el.dispatchEvent(new Event("input", {{ bubbles: true }}));
            }}"""
        )

    async def click(self, selector: str) -> None:
        """Clicks the first element that matches a CSS selector."""
        await self.evaluate(f"() => document.querySelector({json.dumps(selector)}).click()")
