// RestartController (signaling/static/restart.js) with fake peers and a manual clock: offers and
// answers, glare, and the restarts when the media path fails or stays interrupted.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DISCONNECTED_GRACE_MS,
  MIN_RESTART_INTERVAL_MS,
  OWN_OFFER_PATIENCE_MS,
  RestartController,
} from "../../signaling/static/restart.js";
import { serialQueue } from "../../signaling/static/util.js";
import { FakeClock, FakePeer, FakeUi, event, pageState } from "./fakes.js";

function setup() {
  const state = pageState();
  const ui = new FakeUi(state);
  const clock = new FakeClock();
  const sent = [];
  const peers = [];
  const serial = serialQueue((err) => ui.report(err));
  const rtc = new RestartController({
    state,
    ui,
    serial,
    codec: "h264",
    send: (msg) => sent.push(msg),
    makePeer: (stream, codec) => {
      const peer = new FakePeer(stream, codec, clock);
      peers.push(peer);
      return peer;
    },
    now: clock.now,
    timers: clock,
  });
  const settle = () => serial(() => {});
  return { state, ui, clock, sent, peers, rtc, settle };
}

test("an offer makes a new connection with the camera and sends what the peer signals", async () => {
  const { state, ui, sent, peers, rtc } = setup();
  await rtc.setStream("camera-1");
  await rtc.offer();
  assert.equal(peers.length, 1);
  assert.deepEqual([peers[0].stream, peers[0].codec, peers[0].calls], ["camera-1", "h264", [["offer"]]]);
  assert.deepEqual([state.offers, state.pcState], [1, "new"]);
  assert.deepEqual(ui.of("status"), [["connecting", ""]]);
  peers[0].dispatchEvent(event("signal", { type: "cam-offer", payload: { sdp: "x" } }));
  assert.deepEqual(sent, [{ type: "cam-offer", payload: { sdp: "x" } }]);
});

test("a replaced connection is closed and its events are ignored", async () => {
  const { state, sent, peers, rtc } = setup();
  await rtc.offer();
  await rtc.offer();
  assert.equal(peers[0].closed, true);
  peers[0].dispatchEvent(event("signal", { type: "cam-ice", payload: null }));
  peers[0].goTo("failed");
  assert.deepEqual(sent, []);
  assert.deepEqual([state.restarts, state.pcState], [0, "new"]);
});

test("the desktop's answer is applied only while our offer waits for one", async () => {
  const { peers, rtc } = setup();
  await rtc.onAnswer({ sdp: "early" }); // no connection yet
  await rtc.offer();
  await rtc.onAnswer(null);
  await rtc.onAnswer({ sdp: "answer" });
  await rtc.onAnswer({ sdp: "again" });
  assert.deepEqual(peers[0].calls, [["offer"], ["acceptAnswer", "answer"]]);
});

test("candidates go to the current connection", async () => {
  const { peers, rtc } = setup();
  await rtc.onCandidate({ candidate: "lost" }); // no connection: nothing to add it to
  await rtc.offer();
  await rtc.onCandidate(null);
  assert.deepEqual(peers[0].calls.at(-1), ["addCandidate", null]);
});

test("on glare a fresh own offer stands, an old one gives way to the desktop's", async () => {
  const { state, ui, clock, peers, rtc } = setup();
  await rtc.offer();
  clock.advance(OWN_OFFER_PATIENCE_MS - 1);
  await rtc.onOffer({ type: "offer", sdp: "desktop-1" });
  assert.equal(peers.length, 1); // the desktop yields
  clock.advance(1);
  await rtc.onOffer({ type: "offer", sdp: "desktop-2" });
  assert.equal(peers.length, 2);
  assert.deepEqual(peers[1].calls, [["answer", "desktop-2"]]);
  assert.deepEqual([state.offers, state.answers], [1, 1]);
  assert.deepEqual(ui.of("status").at(-1), ["connecting", "answering the desktop"]);
});

test("a desktop's offer is answered at once when no offer of ours waits; an empty one is ignored", async () => {
  const { peers, rtc } = setup();
  await rtc.onOffer(null);
  assert.equal(peers.length, 0);
  await rtc.onOffer({ type: "offer", sdp: "desktop" });
  assert.deepEqual(peers[0].calls, [["answer", "desktop"]]);
});

test("a failed media path restarts with a new offer", async () => {
  const { state, ui, clock, peers, rtc, settle } = setup();
  await rtc.offer();
  peers[0].goTo("failed");
  assert.deepEqual([state.restarts, state.pcState], [1, "failed"]);
  assert.deepEqual(ui.of("status").at(-1), ["reconnecting", "the media path failed"]);
  clock.advance(0);
  await settle();
  assert.equal(peers.length, 2);
  assert.equal(state.offers, 2);
});

test("a connection that stays disconnected is restarted after the grace", async () => {
  const { state, ui, clock, peers, rtc, settle } = setup();
  await rtc.offer();
  peers[0].goTo("disconnected");
  assert.deepEqual(ui.of("status").at(-1), ["reconnecting", "the media path is interrupted"]);
  clock.advance(DISCONNECTED_GRACE_MS - 1);
  assert.equal(state.restarts, 0);
  clock.advance(1);
  assert.equal(state.restarts, 1);
  assert.deepEqual(ui.of("status").at(-1), ["reconnecting", "the media path did not come back"]);
  clock.advance(0);
  await settle();
  assert.equal(peers.length, 2);
});

test("a connection that comes back from disconnected is not restarted", async () => {
  const { state, ui, clock, peers, rtc } = setup();
  await rtc.offer();
  peers[0].goTo("disconnected");
  peers[0].pc.connectionState = "connected";
  peers[0].goTo("connected");
  assert.deepEqual(ui.of("status").at(-1), ["streaming", ""]);
  clock.advance(DISCONNECTED_GRACE_MS * 2);
  assert.equal(state.restarts, 0);
  assert.equal(rtc.connected, true);
});

test("restarts are at least MIN_RESTART_INTERVAL_MS apart", async () => {
  const { state, clock, peers, rtc, settle } = setup();
  await rtc.offer();
  rtc.restart("one");
  rtc.restart("two");
  assert.equal(state.restarts, 2);
  clock.advance(0);
  await settle();
  assert.equal(peers.length, 2); // the first at once
  clock.advance(MIN_RESTART_INTERVAL_MS - 1);
  await settle();
  assert.equal(peers.length, 2);
  clock.advance(1);
  await settle();
  assert.equal(peers.length, 3); // the second after the interval
});

test("the status shows the connection's state, but never over an error", async () => {
  const { state, ui, peers, rtc } = setup();
  rtc.showStatus(); // no connection: nothing to show
  assert.deepEqual(ui.of("status"), []);
  await rtc.offer();
  peers[0].goTo("checking");
  assert.deepEqual(ui.of("status").at(-1), ["connecting", ""]);
  ui.fail("broken");
  const shown = ui.calls.length;
  peers[0].goTo("connected");
  assert.equal(ui.calls.length, shown);
  assert.equal(state.status, "error");
});

test("a new camera stream goes into the running connection and into the next ones", async () => {
  const { peers, rtc } = setup();
  await rtc.setStream("camera-1");
  await rtc.offer();
  await rtc.setStream("camera-2");
  assert.deepEqual(peers[0].calls.at(-1), ["useStream", "camera-2"]);
  await rtc.offer();
  assert.equal(peers[1].stream, "camera-2");
});

test("after close, a planned restart makes no connection", async () => {
  const { state, clock, peers, rtc, settle } = setup();
  await rtc.offer();
  peers[0].goTo("disconnected");
  rtc.close();
  assert.equal(peers[0].closed, true);
  assert.equal(rtc.connected, false);
  clock.advance(DISCONNECTED_GRACE_MS);
  rtc.restart("late");
  clock.advance(MIN_RESTART_INTERVAL_MS);
  await settle();
  assert.equal(peers.length, 1);
  assert.equal(state.offers, 1);
});
