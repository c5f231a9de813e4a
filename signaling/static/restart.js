// The phone's WebRTC side: one Peer at a time. It offers (or answers the desktop's offer), settles
// glare, and starts over with a new connection when the media path fails or stays interrupted. A
// connection is never renegotiated (peer.js): a restart is a new offer on a new connection, which
// the desktop answers with a new one of its own.

import { Peer } from "./peer.js";

// On glare our offer stands (the desktop yields) unless it is older than this: then it was lost.
export const OWN_OFFER_PATIENCE_MS = 3000;
// A connection that stays 'disconnected' this long is restarted.
export const DISCONNECTED_GRACE_MS = 4000;
export const MIN_RESTART_INTERVAL_MS = 2000;

/**
 * Options:
 * - `state`: the page's state; this writes pcState, offers, answers and restarts, and reads status.
 * - `ui.status(status, detail)`: shows what the page is doing.
 * - `send(msg)`: sends a signaling message; `serial(step)`: the page's one-step-at-a-time queue.
 * - `codec`: "vp8" | "h264" | null, what the phone sends.
 * - `makePeer(stream, codec)`, `now()` (ms, the clock of Peer.offeredAt) and `timers`
 *   ({setTimeout, clearTimeout}): the seams of the unit tests.
 */
export class RestartController {
  constructor({
    state,
    ui,
    send,
    serial,
    codec = null,
    makePeer = (stream, codecName) => new Peer(stream, codecName),
    now = () => performance.now(),
    timers = globalThis,
  }) {
    Object.assign(this, { state, ui, send, serial, codec, makePeer, now, timers });
    this.stream = null;
    this.peer = null;
    this.closed = false;
    this.disconnectedTimer = null;
    this.lastRestart = -Infinity;
  }

  /** The camera stream to send: swapped into the running connection, used by every new one. */
  async setStream(stream) {
    this.stream = stream;
    if (this.peer) await this.peer.useStream(stream);
  }

  /** True while the media path is up. */
  get connected() {
    return Boolean(this.peer) && this.peer.pc.connectionState === "connected";
  }

  /** The outbound video figures of the current connection (Peer.stats()). */
  stats() {
    return this.peer.stats();
  }

  /** A new connection with our offer; the answer comes back through onAnswer(). */
  async offer() {
    if (this.closed) return;
    this.ui.status("connecting");
    this.state.offers++;
    await this._newPeer().offer();
  }

  async _answer(sdp) {
    if (this.closed) return;
    this.ui.status("connecting", "answering the desktop");
    this.state.answers++;
    await this._newPeer().answer(sdp);
  }

  /** The desktop's cam-answer. */
  async onAnswer(payload) {
    if (this.peer && this.peer.awaitingAnswer && payload) await this.peer.acceptAnswer(payload.sdp);
  }

  /** The desktop's cam-offer: answered on a new connection, unless our own fresh offer stands. */
  async onOffer(payload) {
    if (!payload) return;
    const peer = this.peer;
    if (peer && peer.awaitingAnswer && this.now() - peer.offeredAt < OWN_OFFER_PATIENCE_MS) {
      return; // glare: the desktop yields and answers our offer
    }
    await this._answer(payload.sdp);
  }

  /** The desktop's cam-ice. */
  async onCandidate(payload) {
    if (this.peer) await this.peer.addCandidate(payload);
  }

  _newPeer() {
    if (this.peer) this.peer.close();
    this.timers.clearTimeout(this.disconnectedTimer);
    const peer = this.makePeer(this.stream, this.codec);
    peer.addEventListener("signal", (ev) => {
      if (peer === this.peer) this.send(ev.detail);
    });
    peer.addEventListener("state", (ev) => {
      if (peer === this.peer) this._onPeerState(ev.detail);
    });
    this.peer = peer;
    this.state.pcState = "new";
    return peer;
  }

  _onPeerState(pcState) {
    this.state.pcState = pcState;
    this.timers.clearTimeout(this.disconnectedTimer);
    if (pcState === "failed") {
      this.restart("the media path failed");
    } else if (pcState === "disconnected") {
      this.ui.status("reconnecting", "the media path is interrupted");
      this.disconnectedTimer = this.timers.setTimeout(
        () => this.restart("the media path did not come back"),
        DISCONNECTED_GRACE_MS,
      );
    } else {
      this.showStatus();
    }
  }

  /** Shows the connection's state (streaming or connecting), unless the page shows an error. */
  showStatus() {
    if (this.state.status === "error" || !this.peer) return;
    const pcState = this.peer.pc.connectionState;
    if (pcState === "connected") this.ui.status("streaming");
    else if (pcState !== "disconnected" && pcState !== "failed") this.ui.status("connecting");
  }

  /** The ICE restart: a new offer on a new connection, at most one per MIN_RESTART_INTERVAL_MS. */
  restart(reason) {
    const now = this.now();
    const wait = Math.max(0, this.lastRestart + MIN_RESTART_INTERVAL_MS - now);
    this.lastRestart = now + wait;
    this.state.restarts++;
    this.ui.status("reconnecting", reason);
    this.timers.setTimeout(() => this.serial(() => this.offer()), wait);
  }

  /** Ends the connection for good: a restart already planned does nothing. */
  close() {
    this.closed = true;
    this.timers.clearTimeout(this.disconnectedTimer);
    if (this.peer) this.peer.close();
    this.peer = null;
  }
}
