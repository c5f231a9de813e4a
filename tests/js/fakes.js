// Fakes for the unit tests of the phone page's controllers: a clock, a page ui, a storage, peers and
// signaling transports that record what the controllers did and do what a test tells them to.

/** An event with a `detail`, as the page's transports and peers dispatch (CustomEvent is not global
 * in every Node the tests run on). */
export function event(type, detail) {
  return Object.assign(new Event(type), { detail });
}

/** A manual clock: now() and timers that fire only when the test advances the time. */
export class FakeClock {
  constructor(start = 10_000) {
    this.time = start;
    this.timers = new Map();
    this.nextId = 1;
    this.now = () => this.time;
  }

  setTimeout(fn, ms = 0) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Moves the time on by `ms`, firing the timers that fall due, in order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at);
      if (!due.length) break;
      const [id, timer] = due[0];
      this.timers.delete(id);
      this.time = timer.at;
      timer.fn();
    }
    this.time = end;
  }
}

/** The page's side as the controllers see it; records every call. */
export class FakeUi {
  constructor(state) {
    this.state = state;
    this.calls = [];
  }

  _record(name, ...args) {
    this.calls.push([name, ...args]);
  }

  status(status, detail = "") {
    this.state.status = status;
    this.state.detail = detail;
    this._record("status", status, detail);
  }

  note(text) {
    this._record("note", text);
  }

  fail(detail) {
    this.state.errors.push(detail);
    this.status("error", detail);
  }

  report(err) {
    this._record("report", err);
  }

  stop() {
    this._record("stop");
  }

  showCalibration(cal) {
    this._record("showCalibration", cal);
  }

  loadCalibration() {
    this._record("loadCalibration");
  }

  /** The calls of one method, without the method's name. */
  of(name) {
    return this.calls.filter((c) => c[0] === name).map((c) => c.slice(1));
  }
}

/** sessionStorage's methods over a Map. */
export class FakeStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }

  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }

  setItem(key, value) {
    this.map.set(key, String(value));
  }

  removeItem(key) {
    this.map.delete(key);
  }
}

/** The page's counters, as the page starts them. */
export function pageState() {
  return {
    status: "idle",
    detail: "",
    transport: null,
    pcState: null,
    offers: 0,
    answers: 0,
    restarts: 0,
    resumes: 0,
    restFallbacks: 0,
    desktopLeft: 0,
    errors: [],
    data: [],
    duplicates: 0,
  };
}

/** A Peer: records its calls; the test sets its connection state and fires its events. */
export class FakePeer extends EventTarget {
  constructor(stream, codec, clock) {
    super();
    Object.assign(this, { stream, codec, clock });
    this.pc = { connectionState: "new" };
    this.awaitingAnswer = false;
    this.offeredAt = 0;
    this.calls = [];
    this.closed = false;
  }

  async offer() {
    this.calls.push(["offer"]);
    this.awaitingAnswer = true;
    this.offeredAt = this.clock.now();
  }

  async answer(sdp) {
    this.calls.push(["answer", sdp]);
  }

  async acceptAnswer(sdp) {
    this.calls.push(["acceptAnswer", sdp]);
    this.awaitingAnswer = false;
  }

  async addCandidate(payload) {
    this.calls.push(["addCandidate", payload]);
  }

  async useStream(stream) {
    this.calls.push(["useStream", stream]);
    this.stream = stream;
  }

  async stats() {
    return { codec: "vp8" };
  }

  close() {
    this.closed = true;
  }

  /** The connection goes to `pcState`, as the browser would report it. */
  goTo(pcState) {
    this.pc.connectionState = pcState;
    this.dispatchEvent(event("state", pcState));
  }
}

/**
 * Signaling transports whose joins do what the test queued: `outcomes.ws` / `outcomes.rest` are
 * lists of replies (objects) or errors (Error instances), taken one per join. Every signal made is
 * in `made`, in order.
 */
export function fakeTransports(outcomes) {
  const made = [];
  const kind = (name) =>
    class extends FakeSignal {
      constructor(server, code, options) {
        super(name, server, code, outcomes[name] || []);
        this.options = options;
        made.push(this);
      }
    };
  return { transports: { ws: kind("ws"), rest: kind("rest") }, made };
}

export class FakeSignal extends EventTarget {
  constructor(kind, server, code, outcomes) {
    super();
    Object.assign(this, { kind, server, code, outcomes });
    this.token = null;
    this.joins = [];
    this.sent = [];
    this.closed = false;
    this.dropped = 0;
    this.up = true;
  }

  async join(token, resume) {
    this.joins.push({ token, resume });
    const outcome = this.outcomes.shift();
    if (!outcome) throw new Error(`no join outcome queued for ${this.kind}`);
    if (outcome instanceof Error) throw outcome;
    if (outcome.resumeToken) this.token = outcome.resumeToken;
    return outcome;
  }

  send(msg) {
    this.sent.push(msg);
    return this.up;
  }

  close() {
    this.closed = true;
  }

  drop() {
    this.dropped++;
  }
}

/** A RestartController's surface, recording what the session asked of it. */
export class FakeRtc {
  constructor() {
    this.calls = [];
    this.connected = false;
  }

  _record(name, ...args) {
    this.calls.push([name, ...args]);
  }

  async offer() {
    this._record("offer");
  }

  async onAnswer(payload) {
    this._record("onAnswer", payload);
  }

  async onOffer(payload) {
    this._record("onOffer", payload);
  }

  async onCandidate(payload) {
    this._record("onCandidate", payload);
  }

  restart(reason) {
    this._record("restart", reason);
  }

  showStatus() {
    this._record("showStatus");
  }

  close() {
    this._record("close");
  }

  of(name) {
    return this.calls.filter((c) => c[0] === name).map((c) => c.slice(1));
  }
}
