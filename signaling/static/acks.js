// *ext* The receiving side of the acknowledgement extension (PROTOCOL.md, cam-ack): our server numbers
// what it delivers to a page that announced `ack` (the `seq` field) and sends it again after a resume
// when the socket it was first written to had died. The page drops the numbers it has seen and
// acknowledges, a short delay after the first unacknowledged one, the highest it has (one cumulative
// cam-ack for a burst). The highest number is kept with the resume token, so a reload drops them too.

const ACK_DELAY_MS = 50;

export class AckTracker {
  /**
   * `store`: where the highest number survives a reload ({load, save, forget}; a TokenStore);
   * `onDuplicate()`: counts a dropped message; `timers`: setTimeout/clearTimeout (fakes in tests).
   */
  constructor({ store = null, onDuplicate = () => {}, delayMs = ACK_DELAY_MS, timers = globalThis } = {}) {
    Object.assign(this, { store, onDuplicate, delayMs, timers });
    this.seen = Number(store && store.load()) || 0;
    this.acked = 0;
    this.timer = null;
    this.sender = null;
  }

  /** False for a numbered message received before; a message without a number always passes. */
  firstTime(msg) {
    const seq = msg.seq;
    if (!Number.isInteger(seq)) return true;
    if (seq <= this.seen) {
      this.onDuplicate();
      return false;
    }
    this.seen = seq;
    if (this.store) this.store.save(String(seq));
    this.schedule();
    return true;
  }

  /**
   * The transport that holds the session now: `sender(seq)` sends the cam-ack and returns false when
   * it cannot. What was acknowledged on an earlier socket may not have arrived: it is said again.
   */
  use(sender) {
    this.sender = sender;
    this.acked = 0;
    this.schedule();
  }

  schedule() {
    if (this.timer !== null || !this.sender || this.seen <= this.acked) return;
    this.timer = this.timers.setTimeout(() => this._fire(), this.delayMs);
  }

  _fire() {
    this.timer = null;
    const seq = this.seen;
    if (this.sender && this.sender(seq)) this.acked = seq;
  }

  /** The session is over: nothing more to acknowledge, nothing to remember. */
  forget() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.sender = null;
    this.seen = this.acked = 0;
    if (this.store) this.store.forget();
  }
}
