// The phone's REST signaling, for networks where a WebSocket cannot stay open (PROTOCOL.md):
// POST /cam/signal/{code} sends, a long-poll GET ?source=phone&wait=N receives. Same events and
// methods as WsSignal, so the page does not care which one it holds. After the join every request
// carries the phone's token (resumeToken in a POST body, Authorization: Bearer on a poll): the
// server lets only the holder of a role act for it.

import { AckTracker } from "./acks.js";
import { backOff, namedError } from "./util.js";

const WAIT_S = 20;
// fetch() rejects with a TypeError when the network fails.
const RETRYABLE = new Set(["TypeError", "RATE_LIMITED", "UNAVAILABLE"]);
// Poll errors that another poll cannot mend (INVALID_TOKEN: another phone has joined with the code).
const FINAL = new Set(["EXPIRED", "INVALID_CODE", "INVALID_TOKEN"]);

/** Options as WsSignal's: `caps` (announced in cam-join), `acks` (drops what comes twice). */
export class RestSignal extends EventTarget {
  constructor(server, code, { caps = null, acks = new AckTracker() } = {}) {
    super();
    this.kind = "rest";
    this.caps = caps;
    this.acks = acks;
    this.code = code;
    this.url = new URL(`/cam/signal/${encodeURIComponent(code)}`, server).href;
    this.token = null;
    this.closed = false;
    this.failures = 0;
    // Sends go out one after the other: a candidate must never overtake its offer.
    this.queue = Promise.resolve();
    this.poller = null;
  }

  /** Joins with a POST; with `token`, as the phone that already holds the session (after a reload). */
  async join(token) {
    const body = { type: "cam-join", payload: this.caps, source: "phone" };
    if (token) body.resumeToken = token;
    const reply = await this._post(body);
    if (reply.resumeToken) this.token = reply.resumeToken;
    // A poll's reply is a delivery: nothing to acknowledge, only numbers to drop when seen twice.
    this.acks.use(() => true);
    this.poller = this._poll();
    return { type: "cam-joined", code: this.code, resumeToken: this.token };
  }

  async _post(body) {
    const signed = this.token && !body.resumeToken ? { ...body, resumeToken: this.token } : body;
    const resp = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(signed),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw namedError(data.code || `HTTP_${resp.status}`, data.error || resp.statusText);
    return data;
  }

  /** Queues a session message for sending; returns true (REST keeps it until the POST succeeds). */
  send(msg) {
    const body = { type: msg.type, payload: msg.payload ?? null, source: "phone" };
    this.queue = this.queue.then(() => this._postRetrying(body));
    return true;
  }

  async _postRetrying(body) {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this._post(body);
        return;
      } catch (err) {
        // A refusal will not change on a retry; a network failure or an overload may.
        if (!RETRYABLE.has(err.name) && !err.name.startsWith("HTTP_")) {
          this.dispatchEvent(new CustomEvent("error", { detail: err }));
          return;
        }
        await backOff(attempt);
      }
    }
  }

  async _poll() {
    const url = `${this.url}?source=phone&wait=${WAIT_S}`;
    while (!this.closed) {
      let data;
      try {
        const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
        const resp = await fetch(url, { cache: "no-store", headers });
        data = await resp.json();
        if (!resp.ok) throw namedError(data.code || `HTTP_${resp.status}`, data.error || resp.statusText);
      } catch (err) {
        if (this.closed) return;
        if (FINAL.has(err.name)) {
          this.closed = true;
          this.dispatchEvent(new CustomEvent("failed", { detail: { name: err.name, reason: err.message } }));
          return;
        }
        if (this.failures++ === 0) this.dispatchEvent(new CustomEvent("state", { detail: "reconnecting" }));
        await backOff(this.failures - 1);
        continue;
      }
      if (this.failures > 0) {
        this.failures = 0;
        this.dispatchEvent(new CustomEvent("state", { detail: "open" }));
      }
      for (const msg of data.messages || []) {
        if (msg && typeof msg === "object" && this.acks.firstTime(msg))
          this.dispatchEvent(new CustomEvent("message", { detail: msg }));
      }
    }
  }

  /** Stops polling. */
  close() {
    this.closed = true;
  }
}
