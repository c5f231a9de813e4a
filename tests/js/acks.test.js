// AckTracker (signaling/static/acks.js): drops numbered messages seen before, acknowledges the highest
// number once per burst, says it again on a new socket, and keeps the number across a reload.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AckTracker } from "../../signaling/static/acks.js";
import { TokenStore } from "../../signaling/static/session.js";
import { FakeClock, FakeStorage } from "./fakes.js";

function tracker(storage = new FakeStorage()) {
  const clock = new FakeClock();
  let duplicates = 0;
  const acks = new AckTracker({
    store: new TokenStore(storage, "ABCDEF", "seq"),
    onDuplicate: () => duplicates++,
    timers: clock,
  });
  const sent = [];
  let up = true;
  acks.use((seq) => (up ? (sent.push(seq), true) : false));
  return { acks, clock, sent, storage, duplicates: () => duplicates, setUp: (v) => (up = v) };
}

test("numbered messages pass once; unnumbered ones always", () => {
  const { acks, duplicates } = tracker();
  assert.equal(acks.firstTime({ type: "cam-joined" }), true);
  assert.equal(acks.firstTime({ type: "cam-ice", seq: 4 }), true);
  assert.equal(acks.firstTime({ type: "cam-ice", seq: 5 }), true);
  assert.equal(acks.firstTime({ type: "cam-ice", seq: 4 }), false);
  assert.equal(acks.firstTime({ type: "cam-ice", seq: 5 }), false);
  assert.equal(acks.firstTime({ type: "cam-ice", seq: "6" }), true); // not a number: not ours to judge
  assert.equal(duplicates(), 2);
});

test("one cumulative ack per burst, after the delay", () => {
  const { acks, clock, sent } = tracker();
  for (const seq of [1, 2, 3]) acks.firstTime({ seq });
  assert.deepEqual(sent, []);
  clock.advance(50);
  assert.deepEqual(sent, [3]);
  clock.advance(1000);
  assert.deepEqual(sent, [3]); // nothing new: nothing sent
  acks.firstTime({ seq: 4 });
  clock.advance(50);
  assert.deepEqual(sent, [3, 4]);
});

test("an ack that could not be sent goes with the next socket", () => {
  const { acks, clock, sent, setUp } = tracker();
  setUp(false);
  acks.firstTime({ seq: 7 });
  clock.advance(50);
  assert.deepEqual(sent, []);
  setUp(true);
  const again = [];
  acks.use((seq) => (again.push(seq), true)); // the resumed socket
  clock.advance(50);
  assert.deepEqual(again, [7]);
});

test("a new socket acknowledges again what the old one did", () => {
  const { acks, clock, sent } = tracker();
  acks.firstTime({ seq: 2 });
  clock.advance(50);
  const again = [];
  acks.use((seq) => (again.push(seq), true));
  clock.advance(50);
  assert.deepEqual([sent, again], [[2], [2]]);
});

test("the highest number survives a reload and is forgotten with the session", () => {
  const storage = new FakeStorage();
  tracker(storage).acks.firstTime({ seq: 9 });
  const reloaded = tracker(storage);
  assert.equal(reloaded.acks.firstTime({ seq: 9 }), false);
  assert.equal(reloaded.acks.firstTime({ seq: 10 }), true);
  reloaded.acks.forget();
  assert.equal(storage.getItem("dartcam.seq.ABCDEF"), null);
  assert.equal(tracker(storage).acks.firstTime({ seq: 1 }), true);
});
