// RestSignal (signaling/static/signal-rest.js) against a fake fetch: after the join every request
// carries the phone's token, in the POST body and as a Bearer header on the polls.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RestSignal } from "../../signaling/static/signal-rest.js";

function fakeFetch(requests, rest) {
  return async (url, init = {}) => {
    requests.push({ url, init });
    if (init.method === "POST") {
      const body = JSON.parse(init.body);
      const reply = body.type === "cam-join" ? { ok: true, resumeToken: "tok-9" } : { ok: true };
      return { ok: true, status: 200, json: async () => reply };
    }
    // A poll: answers once, then the test closes the transport.
    rest.close();
    return { ok: true, status: 200, json: async () => ({ ok: true, messages: [] }) };
  };
}

test("every request after the join carries the phone's token", async () => {
  const requests = [];
  const rest = new RestSignal("http://127.0.0.1:8787/", "ABCDEF");
  const saved = globalThis.fetch;
  globalThis.fetch = fakeFetch(requests, rest);
  try {
    const joined = await rest.join(null);
    assert.equal(joined.resumeToken, "tok-9");
    assert.equal(JSON.parse(requests[0].init.body).resumeToken, undefined);
    await rest.poller;
    const poll = requests.find((r) => r.init.method !== "POST");
    assert.equal(poll.init.headers.Authorization, "Bearer tok-9");
    rest.closed = false;
    assert.equal(rest.send({ type: "cam-offer", payload: { type: "offer", sdp: "v=0" } }), true);
    await rest.queue;
    const sent = JSON.parse(requests.at(-1).init.body);
    assert.deepEqual(sent, {
      type: "cam-offer",
      payload: { type: "offer", sdp: "v=0" },
      source: "phone",
      resumeToken: "tok-9",
    });
  } finally {
    globalThis.fetch = saved;
  }
});

test("a poll refused with INVALID_TOKEN ends the transport", async () => {
  const rest = new RestSignal("http://127.0.0.1:8787/", "ABCDEF");
  const failures = [];
  rest.addEventListener("failed", (ev) => failures.push(ev.detail));
  const saved = globalThis.fetch;
  let polls = 0;
  globalThis.fetch = async () => {
    polls++;
    const body = { ok: false, code: "INVALID_TOKEN", error: "this token does not belong to the phone" };
    return { ok: false, status: 403, json: async () => body };
  };
  try {
    await rest._poll();
    assert.equal(polls, 1);
    assert.equal(rest.closed, true);
    assert.deepEqual(failures, [
      { name: "INVALID_TOKEN", reason: "this token does not belong to the phone" },
    ]);
  } finally {
    globalThis.fetch = saved;
  }
});
