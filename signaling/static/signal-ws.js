// The phone's WebSocket signaling (PROTOCOL.md): joins or resumes the session, and after a drop
// reconnects with back-off and resumes with its token. It reports 'failed' when the socket cannot be
// opened at all or keeps failing, so that the page can fall back to REST.

import { AckTracker } from "./acks.js";
import { backOff, namedError } from "./util.js";

const OPEN_TIMEOUT_MS = 4000;
const REPLY_TIMEOUT_MS = 8000;
// Reconnects in a row that never opened a socket before the page gives up on WebSockets.
const MAX_FAILED_RECONNECTS = 4;
const RETRYABLE = new Set(["SOCKET_FAILED", "SOCKET_CLOSED"]);

/** The /ws URL of an http(s) server base URL. */
export function wsUrl(server) {
  const url = new URL("/ws", server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/**
 * Events: 'message' (detail: a session message), 'state' (detail: 'open' | 'reconnecting'),
 * 'resumed', 'failed' (detail: {name, reason}). join() resolves with the server's reply (cam-joined or
 * cam-resumed) or rejects with an Error whose `name` is the cam-error name. Options: `caps`, what the
 * page announces in its cam-join (null: nothing, like the deployed page); `acks`, the AckTracker that
 * drops what comes twice (the same one across the page's transports).
 */
export class WsSignal extends EventTarget {
  constructor(server, code, { caps = null, acks = new AckTracker() } = {}) {
    super();
    this.kind = "ws";
    this.caps = caps;
    this.acks = acks;
    this.url = wsUrl(server);
    this.code = code;
    this.token = null;
    this.ws = null;
    this.closed = false;
    this.failedReconnects = 0;
    this.pending = null; // {resolve, reject} of the join/resume in flight
    this.reconnecting = false;
  }

  /**
   * Joins on a new socket. With `token`: resumes the phone's role (`resume`), or joins again as the
   * phone that holds it (the desktop then hears cam-peer-joined and starts over).
   */
  async join(token, resume = true) {
    await this._open();
    return this._hello(token, resume);
  }

  _open() {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        reject(namedError("SOCKET_FAILED", String(err)));
        return;
      }
      const timer = setTimeout(() => {
        ws.close();
        reject(namedError("SOCKET_FAILED", "the signaling socket did not open"));
      }, OPEN_TIMEOUT_MS);
      ws.onopen = () => {
        clearTimeout(timer);
        this.ws = ws;
        ws.onmessage = (ev) => this._onFrame(ev.data);
        ws.onclose = (ev) => this._onClose(ws, ev);
        resolve();
      };
      // Some failures fire only 'close', with no 'error' before it.
      ws.onerror = ws.onclose = () => {
        clearTimeout(timer);
        reject(namedError("SOCKET_FAILED", "the signaling socket could not be opened"));
      };
    });
  }

  _hello(token, resume = true) {
    return new Promise((resolve, reject) => {
      // A socket that opens but never answers (a broken proxy) counts as a failed socket.
      const timer = setTimeout(() => {
        if (this.pending !== pending) return;
        this.pending = null;
        reject(namedError("SOCKET_FAILED", "the server did not answer on the socket"));
        if (this.ws) this.ws.close();
      }, REPLY_TIMEOUT_MS);
      const pending = {
        resolve: (msg) => (clearTimeout(timer), resolve(msg)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.pending = pending;
      if (token && resume) {
        this._raw({ type: "cam-resume", code: this.code, resumeToken: token });
      } else {
        const join = { type: "cam-join", code: this.code, payload: this.caps };
        if (token) join.resumeToken = token;
        this._raw(join);
      }
    });
  }

  _raw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  /** Sends a session message; returns false when the socket is down (a browser loses it too). */
  send(msg) {
    return this._raw({ ...msg, code: this.code });
  }

  _onFrame(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!msg || typeof msg !== "object") return;
    const pending = this.pending;
    if (pending && ["cam-joined", "cam-resumed", "cam-error"].includes(msg.type)) {
      this.pending = null;
      if (msg.type === "cam-error") {
        pending.reject(namedError(msg.code, msg.message || msg.code));
      } else {
        if (msg.resumeToken) this.token = msg.resumeToken;
        this.acks.use((seq) => this._raw({ type: "cam-ack", code: this.code, seq }));
        pending.resolve(msg);
      }
      return;
    }
    if (!this.acks.firstTime(msg)) return;
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
  }

  _onClose(ws, ev) {
    if (ws !== this.ws || this.closed) return;
    this.ws = null;
    if (this.pending) {
      this.pending.reject(namedError("SOCKET_CLOSED", "the socket closed before the server replied"));
      this.pending = null;
    }
    if (ev.code === 4000) {
      // The server closed us because another connection of this phone took over (another tab).
      this._fail("REPLACED", "another page took over this session");
      return;
    }
    // Before the first join there is no token to resume with: join() itself reports the failure.
    if (this.token && !this.reconnecting) this._reconnect();
  }

  async _reconnect() {
    this.reconnecting = true;
    this.dispatchEvent(new CustomEvent("state", { detail: "reconnecting" }));
    try {
      for (let attempt = 0; !this.closed; attempt++) {
        await backOff(attempt);
        if (this.closed) return;
        try {
          await this._open();
          await this._hello(this.token);
        } catch (err) {
          if (!RETRYABLE.has(err.name)) {
            this._fail(err.name, `the server refused to resume: ${err.message}`);
            return;
          }
          if (++this.failedReconnects >= MAX_FAILED_RECONNECTS) {
            this._fail("SOCKET_FAILING", "the signaling socket keeps failing");
            return;
          }
          continue;
        }
        this.failedReconnects = 0;
        this.dispatchEvent(new CustomEvent("state", { detail: "open" }));
        this.dispatchEvent(new Event("resumed"));
        return;
      }
    } finally {
      this.reconnecting = false;
    }
  }

  _fail(name, reason) {
    this.close();
    this.dispatchEvent(new CustomEvent("failed", { detail: { name, reason } }));
  }

  /** Leaves: closes the socket and stops reconnecting. */
  close() {
    this.closed = true;
    if (this.pending) {
      this.pending.reject(namedError("CLOSED", "the page left the session"));
      this.pending = null;
    }
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
  }

  /** Test hook: drops the socket as a network would (the page reconnects and resumes). */
  drop() {
    if (this.ws) this.ws.close();
  }
}
