// SessionController (signaling/static/session.js) with fake transports: join, the fall-back to REST,
// resume tokens, the routing of the desktop's messages, and giving up.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SessionController, TokenStore } from "../../signaling/static/session.js";
import { namedError, serialQueue } from "../../signaling/static/util.js";
import { FakeRtc, FakeStorage, FakeUi, event, fakeTransports, pageState } from "./fakes.js";

const CODE = "ABCDEF";
const KEY = `dartcam.token.${CODE}`;
const JOINED = { type: "cam-joined", code: CODE, resumeToken: "tok-1" };

function setup({ ws = [], rest = [], stored = null, ...options } = {}) {
  const state = pageState();
  const ui = new FakeUi(state);
  const rtc = new FakeRtc();
  const storage = new FakeStorage(stored ? { [KEY]: stored } : {});
  const { transports, made } = fakeTransports({ ws, rest });
  const serial = serialQueue((err) => ui.report(err));
  const session = new SessionController({
    server: "http://127.0.0.1:8787",
    code: CODE,
    state,
    ui,
    rtc,
    serial,
    tokens: new TokenStore(storage, CODE),
    transports,
    ...options,
  });
  // Lets the steps queued so far (and the promises they wait on) run.
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await serial(() => {});
  };
  return { state, ui, rtc, storage, made, session, settle };
}

test("joins over the WebSocket, keeps the token and offers", async () => {
  const { state, ui, rtc, storage, made, session, settle } = setup({ ws: [JOINED] });
  await session.connect();
  await settle();
  assert.deepEqual(
    made.map((s) => s.kind),
    ["ws"],
  );
  assert.deepEqual(made[0].joins, [{ token: null, resume: true }]);
  assert.equal(state.transport, "ws");
  assert.equal(storage.getItem(KEY), "tok-1");
  assert.deepEqual(ui.of("status")[0], ["joining", ""]);
  assert.equal(ui.of("loadCalibration").length, 1);
  assert.equal(rtc.of("offer").length, 1);
  assert.equal(state.restFallbacks, 0);
});

test("a saved token resumes, and a cam-resumed reply counts as a resume", async () => {
  const resumed = { type: "cam-resumed", code: CODE, role: "phone" };
  const { state, made, session, storage } = setup({ ws: [resumed], stored: "tok-0" });
  await session.connect();
  assert.deepEqual(made[0].joins, [{ token: "tok-0", resume: true }]);
  assert.equal(state.resumes, 1);
  assert.equal(storage.getItem(KEY), "tok-0"); // the reply brought no new token
});

test("an answer-only page joins again with its token and waits for the desktop's offer", async () => {
  const { ui, rtc, made, session, settle } = setup({ ws: [JOINED], stored: "tok-0", answerOnly: true });
  await session.connect();
  await settle();
  assert.deepEqual(made[0].joins, [{ token: "tok-0", resume: false }]);
  assert.deepEqual(ui.of("status").at(-1), ["connecting", "waiting for the desktop's offer"]);
  assert.equal(rtc.of("offer").length, 0);
});

test("transport=rest joins over REST only, and that is no fall-back", async () => {
  const { state, made, session } = setup({ rest: [JOINED], forceRest: true });
  await session.connect();
  assert.deepEqual(
    made.map((s) => s.kind),
    ["rest"],
  );
  assert.equal(state.transport, "rest");
  assert.equal(state.restFallbacks, 0);
});

test("a WebSocket that cannot be opened falls back to REST with the saved token", async () => {
  const failed = namedError("SOCKET_FAILED", "the signaling socket could not be opened");
  const { state, ui, made, session } = setup({ ws: [failed], rest: [JOINED], stored: "tok-0" });
  await session.connect();
  assert.deepEqual(
    made.map((s) => [s.kind, s.closed]),
    [
      ["ws", true],
      ["rest", false],
    ],
  );
  assert.deepEqual(made[1].joins[0].token, "tok-0");
  assert.equal(state.transport, "rest");
  assert.equal(state.restFallbacks, 1);
  assert.deepEqual(ui.of("note"), [
    ["signaling over HTTP: WebSocket unavailable (the signaling socket could not be opened)"],
  ]);
});

for (const kind of ["ws", "rest"]) {
  test(`an unknown token is forgotten and the ${kind} join made again without it, once`, async () => {
    const refused = namedError("INVALID_TOKEN", "unknown token");
    const outcomes = { [kind]: [refused, JOINED] };
    const { state, storage, made, session } = setup({
      ...outcomes,
      stored: "old",
      forceRest: kind === "rest",
    });
    await session.connect();
    assert.deepEqual(
      made.map((s) => [s.kind, s.joins[0].token, s.closed]),
      [
        [kind, "old", true],
        [kind, null, false],
      ],
    );
    assert.equal(state.transport, kind);
    assert.equal(storage.getItem(KEY), "tok-1");
  });
}

test("INVALID_TOKEN without a token is not retried: the page gives up", async () => {
  const { ui, made, session } = setup({ ws: [namedError("INVALID_TOKEN", "unknown token")] });
  await session.connect();
  assert.equal(made.length, 1);
  assert.deepEqual(ui.of("status").at(-1), ["error", "INVALID_TOKEN: unknown token"]);
});

test("after a refused token, a WebSocket that fails falls back to REST without the token", async () => {
  const ws = [namedError("INVALID_TOKEN", "unknown token"), namedError("SOCKET_CLOSED", "closed")];
  const { made, session, state } = setup({ ws, rest: [JOINED], stored: "old" });
  await session.connect();
  assert.deepEqual(
    made.map((s) => [s.kind, s.joins[0].token]),
    [
      ["ws", "old"],
      ["ws", null],
      ["rest", null],
    ],
  );
  assert.equal(state.restFallbacks, 1);
});

test("an unknown code gives up: explained, connection closed, token forgotten, code form shown", async () => {
  const { state, ui, rtc, storage, session } = setup({
    ws: [namedError("INVALID_CODE", "no such code")],
    stored: "tok-0",
  });
  await session.connect();
  assert.equal(state.status, "error");
  assert.match(state.detail, /no session has this code/);
  assert.deepEqual(state.errors, [state.detail]);
  assert.equal(rtc.of("close").length, 1);
  assert.equal(storage.getItem(KEY), null);
  assert.equal(ui.of("stop").length, 1);
  assert.equal(session.signal, null);
});

test("a WebSocket that keeps failing goes on over REST as the same phone", async () => {
  const { state, rtc, made, session, settle } = setup({
    ws: [JOINED],
    rest: [{ ...JOINED, resumeToken: "tok-2" }],
  });
  await session.connect();
  await settle();
  const ws = made[0];
  ws.token = "tok-1b"; // renewed by a resume meanwhile
  ws.dispatchEvent(event("failed", { name: "SOCKET_FAILING", reason: "the signaling socket keeps failing" }));
  await settle();
  assert.equal(made[1].kind, "rest");
  assert.equal(made[1].joins[0].token, "tok-1b");
  assert.equal(state.transport, "rest");
  assert.equal(state.restFallbacks, 1);
  assert.equal(rtc.of("offer").length, 2); // a new connection over the new transport
  // The old socket's events no longer count.
  ws.dispatchEvent(event("failed", { name: "EXPIRED", reason: "gone" }));
  await settle();
  assert.notEqual(state.status, "error");
});

for (const [name, text] of [
  ["REPLACED", "this session was opened in another tab"],
  ["EXPIRED", "the code expired or the session ended; ask the desktop for a new code"],
]) {
  test(`a ${name} failure of the socket gives up`, async () => {
    const { state, made, session, settle } = setup({ ws: [JOINED] });
    await session.connect();
    made[0].dispatchEvent(event("failed", { name, reason: "whatever" }));
    await settle();
    assert.equal(made.length, 1);
    assert.deepEqual([state.status, state.detail], ["error", text]);
  });
}

test("a failing REST transport gives up instead of falling back", async () => {
  const { state, made, session, settle } = setup({ rest: [JOINED], forceRest: true });
  await session.connect();
  made[0].dispatchEvent(event("failed", { name: "HTTP_500", reason: "broken" }));
  await settle();
  assert.equal(made.length, 1);
  assert.deepEqual([state.status, state.detail], ["error", "HTTP_500: broken"]);
});

test("a resumed socket restarts a connection that is not up, and leaves one that is", async () => {
  const { state, rtc, made, session } = setup({ ws: [JOINED] });
  await session.connect();
  made[0].dispatchEvent(new Event("resumed"));
  assert.deepEqual(rtc.of("restart"), [["signaling resumed"]]);
  rtc.connected = true;
  made[0].dispatchEvent(new Event("resumed"));
  assert.equal(rtc.of("restart").length, 1);
  assert.equal(state.resumes, 2);
});

test("the socket's state shows as reconnecting, then as the connection's state", async () => {
  const { ui, rtc, made, session } = setup({ ws: [JOINED] });
  await session.connect();
  made[0].dispatchEvent(event("state", "reconnecting"));
  assert.deepEqual(ui.of("status").at(-1), ["reconnecting", "the signaling connection dropped"]);
  made[0].dispatchEvent(event("state", "open"));
  assert.equal(rtc.of("showStatus").length, 1);
});

test("the desktop's messages go to the connection, the page, or the counters", async () => {
  const { state, ui, rtc, made, session, settle } = setup({ ws: [JOINED] });
  await session.connect();
  const signal = made[0];
  const offer = { type: "offer", sdp: "v=0" };
  const cal = { H: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  for (const msg of [
    { type: "cam-offer", payload: offer },
    { type: "cam-answer", payload: null },
    { type: "cam-ice", payload: { candidate: "c" } },
    { type: "cam-calibration", payload: cal },
    { type: "cam-peer-left", role: "desktop" },
    { type: "cam-peer-left", role: "phone" },
    { type: "cam-error", code: "RATE_LIMITED", message: "slow down" },
    { type: "something-else" },
  ]) {
    signal.dispatchEvent(event("message", msg));
  }
  await settle();
  assert.deepEqual(rtc.of("onOffer"), [[offer]]);
  assert.deepEqual(rtc.of("onAnswer"), [[null]]);
  assert.deepEqual(rtc.of("onCandidate"), [[{ candidate: "c" }]]);
  assert.deepEqual(ui.of("showCalibration"), [[cal]]);
  assert.equal(state.desktopLeft, 1);
  assert.deepEqual(state.errors, ["RATE_LIMITED: slow down"]);
  assert.deepEqual(ui.of("note"), [["server: slow down"]]);
  assert.notEqual(state.status, "error");
});

test("cam-error EXPIRED from the server gives up", async () => {
  const { state, ui, made, session, settle } = setup({ ws: [JOINED] });
  await session.connect();
  made[0].dispatchEvent(event("message", { type: "cam-error", code: "EXPIRED" }));
  await settle();
  assert.equal(state.status, "error");
  assert.match(state.detail, /expired/);
  assert.equal(made[0].closed, true);
  assert.equal(ui.of("stop").length, 1);
});

test("send goes over the current transport; drop() drops its socket", async () => {
  const { made, session } = setup({ ws: [JOINED] });
  session.send({ type: "cam-ice", payload: null }); // nothing joined yet: nothing to send on
  await session.connect();
  session.send({ type: "cam-ice", payload: null });
  session.drop();
  assert.deepEqual(made[0].sent, [{ type: "cam-ice", payload: null }]);
  assert.equal(made[0].dropped, 1);
});

test("a transport's error event is reported", async () => {
  const { ui, made, session } = setup({ rest: [JOINED], forceRest: true });
  await session.connect();
  const err = namedError("BAD_MESSAGE", "bad");
  made[0].dispatchEvent(event("error", err));
  assert.deepEqual(ui.of("report"), [[err]]);
});

test("the join announces what the page does, and the transports share one AckTracker", async () => {
  const { made, session } = setup({ ws: [JOINED] });
  await session.connect();
  assert.deepEqual(made[0].options.caps, { offers: true, resume: true, ack: true });
  assert.equal(made[0].options.acks, session.acks);
  const answering = setup({ ws: [JOINED], answerOnly: true });
  await answering.session.connect();
  assert.deepEqual(answering.made[0].options.caps, { offers: false, resume: true, ack: true });
});

test("cam-data from the desktop is kept in the page's state, and giving up forgets the numbers", async () => {
  const { state, made, session, settle, storage } = setup({ ws: [JOINED] });
  await session.connect();
  made[0].dispatchEvent(event("message", { type: "cam-data", code: CODE, payload: { n: 1 }, seq: 3 }));
  await settle();
  assert.deepEqual(state.data, [{ n: 1 }]);
  session.acks.firstTime({ seq: 3 });
  storage.setItem("dartcam.seq.ABCDEF", "3");
  session.giveUp("test");
  assert.equal(storage.getItem("dartcam.seq.ABCDEF"), null);
});
