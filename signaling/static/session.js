// The phone's signaling session (PROTOCOL.md): joins over the WebSocket, or over REST when asked to
// or when no socket can be had or it keeps failing; keeps the resume token of the code so that a
// reload resumes; routes the desktop's messages; and gives up on errors that another try cannot mend.

import { AckTracker } from "./acks.js";
import { RestSignal } from "./signal-rest.js";
import { WsSignal } from "./signal-ws.js";

// Errors after which another try cannot help.
const FINAL_ERRORS = new Set(["INVALID_CODE", "EXPIRED", "SESSION_TAKEN", "REPLACED"]);
// Join errors that mean the WebSocket cannot be had: the page goes on over REST.
const SOCKET_ERRORS = new Set(["SOCKET_FAILED", "SOCKET_CLOSED"]);
const ERROR_TEXTS = {
  INVALID_CODE: "no session has this code; check the code on the desktop",
  EXPIRED: "the code expired or the session ended; ask the desktop for a new code",
  SESSION_TAKEN: "another phone is connected to this code",
  REPLACED: "this session was opened in another tab",
  RATE_LIMITED: "too many attempts; wait a minute",
};
// cam-data payloads kept in the page's state.
const MAX_DATA = 1000;
/** The signaling transports, by kind: classes made with (server, code). */
export const TRANSPORTS = { ws: WsSignal, rest: RestSignal };

/** What the user reads for an error (a named error, or {name, message}). */
export function explain(err) {
  return ERROR_TEXTS[err.name] || `${err.name}: ${err.message}`;
}

/**
 * The resume token of one code, in `storage` (the tab's sessionStorage: a reload keeps it); with
 * `name` another value of the code's session (the highest message number received, "seq").
 */
export class TokenStore {
  constructor(storage, code, name = "token") {
    this.storage = storage;
    this.key = `dartcam.${name}.${code}`;
  }

  load() {
    return this.storage.getItem(this.key);
  }

  save(token) {
    this.storage.setItem(this.key, token);
  }

  forget() {
    this.storage.removeItem(this.key);
  }
}

/**
 * One pairing code's session. Options:
 * - `server`, `code`; `forceRest` (no WebSocket); `answerOnly` (wait for the desktop's offer).
 * - `state`: the page's state; this writes transport, resumes, restFallbacks, desktopLeft, errors.
 * - `ui`: status(status, detail), note(text), fail(detail), report(err), stop() (the page's part of
 *   giving up: the camera, the code form), showCalibration(cal), loadCalibration().
 * - `rtc`: the RestartController; `serial(step)`: the page's one-step-at-a-time queue.
 * - `tokens`: a TokenStore; `transports`: the signaling classes (TRANSPORTS; fakes in the tests).
 */
export class SessionController {
  constructor({
    server,
    code,
    forceRest = false,
    answerOnly = false,
    state,
    ui,
    rtc,
    serial,
    tokens,
    transports = TRANSPORTS,
  }) {
    Object.assign(this, { server, code, forceRest, answerOnly, state, ui, rtc, serial, tokens, transports });
    this.signal = null;
    // *ext* What the page announces in cam-join: whether it offers, that it resumes and acknowledges.
    this.caps = { offers: !answerOnly, resume: true, ack: true };
    this.acks = new AckTracker({
      store: new TokenStore(tokens.storage, code, "seq"),
      onDuplicate: () => state.duplicates++,
    });
  }

  /** Joins (or resumes with the saved token); gives up with the reason when that fails. */
  async connect() {
    this.ui.status("joining");
    const token = this.tokens.load();
    await this._joined(() => (this.forceRest ? this._joinRest(token) : this._joinWs(token)));
  }

  /** Sends a session message to the desktop over whichever transport holds the session. */
  send(msg) {
    if (this.signal && !this.signal.send(msg)) {
      console.info("dartcam: lost while the socket was down:", msg.type);
    }
  }

  /** Test hook: drops the signaling socket as a network would. */
  drop() {
    if (this.signal && this.signal.drop) this.signal.drop();
  }

  /** An error that another try cannot mend: stops everything and forgets the token. */
  giveUp(detail) {
    this.ui.fail(detail);
    this.rtc.close();
    if (this.signal) this.signal.close();
    this.signal = null;
    this.tokens.forget();
    this.acks.forget();
    this.ui.stop();
  }

  async _joined(join) {
    let reply;
    try {
      reply = await join();
    } catch (err) {
      this.giveUp(explain(err));
      return;
    }
    this._afterJoin(reply);
  }

  async _joinWs(token) {
    try {
      return await this._joinOver("ws", token);
    } catch (err) {
      if (!SOCKET_ERRORS.has(err.name)) throw err;
      // With the token still held: _joinOver forgets one that the server refused.
      return this._joinRest(this.tokens.load(), `WebSocket unavailable (${err.message})`);
    }
  }

  async _joinRest(token, why) {
    if (why) {
      this.state.restFallbacks++;
      this.ui.note(`signaling over HTTP: ${why}`);
    }
    return this._joinOver("rest", token);
  }

  /** Joins over one transport; a token the server does not know is forgotten and the join made
   * again without it. */
  async _joinOver(kind, token) {
    const signal = new this.transports[kind](this.server, this.code, { caps: this.caps, acks: this.acks });
    try {
      // An answer-only page joins again with its token: the desktop then hears cam-peer-joined and
      // offers; a page that offers resumes, and offers on the resumed session. (REST always joins.)
      const reply = await signal.join(token, !this.answerOnly);
      this._use(signal);
      return reply;
    } catch (err) {
      signal.close();
      if (err.name !== "INVALID_TOKEN" || !token) throw err;
      this.tokens.forget();
      return this._joinOver(kind, null);
    }
  }

  _use(signal) {
    this.signal = signal;
    this.state.transport = signal.kind;
    signal.addEventListener("message", (ev) => this.serial(() => this._onMessage(ev.detail)));
    signal.addEventListener("state", (ev) => {
      if (signal !== this.signal) return;
      if (ev.detail === "reconnecting") this.ui.status("reconnecting", "the signaling connection dropped");
      else this.rtc.showStatus();
    });
    signal.addEventListener("resumed", () => {
      this.state.resumes++;
      // Messages sent while the socket was down are lost: a connection not up by now starts over.
      if (!this.rtc.connected) this.rtc.restart("signaling resumed");
    });
    signal.addEventListener("failed", (ev) => this._onFailed(signal, ev.detail));
    signal.addEventListener("error", (ev) => this.ui.report(ev.detail));
  }

  async _onFailed(signal, { name, reason }) {
    if (signal !== this.signal) return;
    if (FINAL_ERRORS.has(name) || signal.kind === "rest") {
      this.giveUp(explain({ name, message: reason }));
      return;
    }
    // The WebSocket keeps failing: go on over REST, as the phone that holds the session.
    await this._joined(() => this._joinRest(signal.token, reason));
  }

  _afterJoin(reply) {
    if (reply.resumeToken) this.tokens.save(reply.resumeToken);
    if (reply.type === "cam-resumed") this.state.resumes++;
    this.ui.loadCalibration();
    // A join makes the desktop start over, and after a reload our old connection is gone: either way
    // a new connection is needed, offered by us unless the desktop offers.
    if (this.answerOnly) {
      this.ui.status("connecting", "waiting for the desktop's offer");
    } else {
      this.serial(() => this.rtc.offer());
    }
  }

  async _onMessage(msg) {
    switch (msg.type) {
      case "cam-answer":
        await this.rtc.onAnswer(msg.payload);
        break;
      case "cam-offer":
        await this.rtc.onOffer(msg.payload);
        break;
      case "cam-ice":
        await this.rtc.onCandidate(msg.payload);
        break;
      case "cam-calibration":
        this.ui.showCalibration(msg.payload);
        break;
      case "cam-data":
        // Kept (the latest few) for whoever drives the page: the tests count them.
        this.state.data.push(msg.payload);
        if (this.state.data.length > MAX_DATA) this.state.data.shift();
        break;
      case "cam-peer-left":
        // The desktop's signaling socket dropped; it may resume, and the video goes on meanwhile.
        if (msg.role === "desktop") this.state.desktopLeft++;
        break;
      case "cam-error":
        // Shown, never answered: the server must not be drawn into an error loop.
        this.state.errors.push(`${msg.code}: ${msg.message || ""}`);
        if (msg.code === "EXPIRED") this.giveUp(explain({ name: "EXPIRED" }));
        else this.ui.note(`server: ${msg.message || msg.code}`);
        break;
      default:
        break; // unrelated pushes of other servers
    }
  }
}
