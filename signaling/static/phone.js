// The phone page: opens the rear camera, pairs with the desktop through the signaling server and
// streams over WebRTC (PROTOCOL.md). URL parameters: code (the pairing code), server (default: this
// page's origin), transport=rest (no WebSocket), mode=answer (wait for the desktop's offer, like the
// deployed page), codec=vp8|h264, res=720p|1080p.

import { describeTrack, openCamera } from "./camera.js";
import { describeCalibration, drawCalibration } from "./calibration.js";
import { Peer } from "./peer.js";
import { RestSignal } from "./signal-rest.js";
import { WsSignal } from "./signal-ws.js";

const params = new URLSearchParams(location.search);
const SERVER = params.get("server") || location.origin;
const FORCE_REST = params.get("transport") === "rest";
const ANSWER_ONLY = params.get("mode") === "answer";
const CODEC = ["vp8", "h264"].includes(params.get("codec")) ? params.get("codec") : null;
const SIZE = params.get("res") === "1080p" ? "1080p" : "720p";
// On glare our offer stands (the desktop yields) unless it is older than this: then it was lost.
const OWN_OFFER_PATIENCE_MS = 3000;
// A connection that stays 'disconnected' this long is restarted.
const DISCONNECTED_GRACE_MS = 4000;
const MIN_RESTART_INTERVAL_MS = 2000;
// Errors after which another try cannot help.
const FINAL_ERRORS = new Set(["INVALID_CODE", "EXPIRED", "SESSION_TAKEN", "REPLACED"]);
const STATUS_TEXT = {
  idle: "Enter the code shown on the desktop",
  camera: "Starting the camera…",
  tap: "Tap “Start the camera”",
  joining: "Joining the desktop…",
  connecting: "Connecting…",
  streaming: "Streaming to the desktop",
  reconnecting: "Reconnecting…",
  error: "Error",
};

const $ = (id) => document.getElementById(id);

/** What the page is doing; tests read it (window.dartcamState). */
const state = {
  status: "idle",
  detail: "",
  code: null,
  transport: null,
  pcState: null,
  offers: 0,
  answers: 0,
  restarts: 0,
  resumes: 0,
  restFallbacks: 0,
  desktopLeft: 0,
  cameraRestarts: 0,
  camera: null,
  cameraNote: null,
  stats: null,
  calibration: null,
  errors: [],
  loadedAt: performance.timeOrigin,
  streamingAt: null,
};
window.dartcamState = state;

let stream = null;
let signal = null;
let peer = null;
let disconnectedTimer = null;
let lastRestart = 0;
let wakeLock = null; // the promise of the screen wake lock while one is held or asked for
// Messages, offers and restarts run one at a time, in order: a message must not act on a
// connection that an offer is still setting up.
let work = Promise.resolve();

function serial(step) {
  work = work.then(step).catch((err) => report(err));
  return work;
}

function setStatus(status, detail = "") {
  state.status = status;
  state.detail = detail;
  if (status === "streaming") {
    if (state.streamingAt === null) state.streamingAt = Date.now();
    keepAwake();
  }
  const el = $("status");
  el.dataset.state = status;
  el.textContent = detail ? `${STATUS_TEXT[status]}: ${detail}` : STATUS_TEXT[status];
}

function fail(detail) {
  state.errors.push(detail);
  setStatus("error", detail);
}

/** An error that another try cannot mend: stop everything and ask for a (new) code. */
function giveUp(detail) {
  fail(detail);
  if (peer) peer.close();
  if (signal) signal.close();
  if (stream) stream.getTracks().forEach((track) => track.stop());
  if (wakeLock) wakeLock.then((lock) => lock && lock.release());
  peer = signal = stream = null;
  sessionStorage.removeItem(tokenKey(state.code));
  showCodeForm();
}

function tokenKey(code) {
  return `dartcam.token.${code}`;
}

// ---- start --------------------------------------------------------------------------------------

function normalize(code) {
  return (code || "").trim().toUpperCase();
}

async function start(code) {
  state.code = code;
  $("code-label").textContent = code;
  $("code-form").hidden = true;
  $("start").hidden = true;
  setStatus("camera");
  try {
    useCamera(await openCamera(SIZE));
  } catch (err) {
    if (err.name === "NotAllowedError") {
      // Some browsers only ask for the camera after a tap.
      askForGesture(code, "the camera needs your permission");
      return;
    }
    fail(`camera: ${err.name} ${err.message}`);
    return;
  }
  await connect(code);
}

function useCamera(camera) {
  stream = camera.stream;
  state.cameraNote = camera.note;
  const track = stream.getVideoTracks()[0];
  state.camera = describeTrack(track);
  showNote(state.cameraNote ? `${state.cameraNote} (${state.camera})` : "");
  // A phone stops the camera when the page goes to the background (or another app takes it).
  track.addEventListener("ended", () => serial(() => reopenCamera(track)));
  const video = $("preview");
  video.srcObject = stream;
  video.play().catch(askToShowPreview);
}

/** The camera track ended: open the camera again and swap it into the running connection. */
async function reopenCamera(ended) {
  if (!stream || stream.getVideoTracks()[0] !== ended) return; // gave up, or already replaced
  state.cameraRestarts++;
  setStatus("reconnecting", "the camera stopped");
  if (document.hidden) await new Promise((resolve) => onVisible(resolve));
  try {
    useCamera(await openCamera(SIZE));
  } catch (err) {
    fail(`camera: ${err.name} ${err.message}`);
    return;
  }
  if (peer) await peer.useStream(stream);
  showPeerStatus();
}

function onVisible(callback) {
  const listener = () => {
    if (document.hidden) return;
    document.removeEventListener("visibilitychange", listener);
    callback();
  };
  document.addEventListener("visibilitychange", listener);
}

/** Keeps the phone's screen on while streaming: a sleeping phone stops its camera. */
function keepAwake() {
  if (!("wakeLock" in navigator) || wakeLock || document.hidden) return;
  // Held as a promise from the request on, so that a second call does not take a second lock.
  wakeLock = navigator.wakeLock.request("screen").then(
    (lock) => {
      lock.addEventListener("release", () => {
        wakeLock = null;
      });
      return lock;
    },
    () => {
      // Refused (battery saver, no user activation yet): the screen may sleep; nothing else to do.
      wakeLock = null;
      return null;
    },
  );
}

/** Shows the start button: the browser wants a tap before it gives the camera. */
function askForGesture(code, why) {
  setStatus("tap", why);
  const button = $("start");
  button.hidden = false;
  button.onclick = () => {
    button.hidden = true;
    start(code);
  };
}

/** The preview would not play without a tap; the stream goes on meanwhile, only the preview waits. */
function askToShowPreview() {
  const button = $("start");
  button.textContent = "Show the preview";
  button.hidden = false;
  button.onclick = () => {
    button.hidden = true;
    $("preview").play();
  };
}

function showNote(text) {
  $("note").hidden = !text;
  $("note").textContent = text;
}

// ---- signaling ----------------------------------------------------------------------------------

async function connect(code) {
  setStatus("joining");
  const saved = sessionStorage.getItem(tokenKey(code));
  let reply;
  try {
    reply = FORCE_REST ? await joinRest(code, saved) : await joinWs(code, saved);
  } catch (err) {
    giveUp(explain(err));
    return;
  }
  afterJoin(reply);
}

async function joinWs(code, saved) {
  const ws = new WsSignal(SERVER, code);
  try {
    // An answer-only page joins again with its token: the desktop then hears cam-peer-joined and
    // offers; a page that offers resumes, and offers on the resumed session.
    const reply = await ws.join(saved, !ANSWER_ONLY);
    useSignal(ws);
    return reply;
  } catch (err) {
    ws.close();
    if (err.name === "SOCKET_FAILED" || err.name === "SOCKET_CLOSED") {
      return joinRest(code, saved, `WebSocket unavailable (${err.message})`);
    }
    if (err.name === "INVALID_TOKEN" && saved) {
      sessionStorage.removeItem(tokenKey(code));
      return joinWs(code, null);
    }
    throw err;
  }
}

async function joinRest(code, saved, why) {
  if (why) {
    state.restFallbacks++;
    showNote(`signaling over HTTP: ${why}`);
  }
  const rest = new RestSignal(SERVER, code);
  try {
    const reply = await rest.join(saved);
    useSignal(rest);
    return reply;
  } catch (err) {
    rest.close();
    if (err.name === "INVALID_TOKEN" && saved) {
      sessionStorage.removeItem(tokenKey(code));
      return joinRest(code, null);
    }
    throw err;
  }
}

function useSignal(sig) {
  signal = sig;
  state.transport = sig.kind;
  sig.addEventListener("message", (ev) => serial(() => onMessage(ev.detail)));
  sig.addEventListener("state", (ev) => {
    if (sig !== signal) return;
    if (ev.detail === "reconnecting") setStatus("reconnecting", "the signaling connection dropped");
    else showPeerStatus();
  });
  sig.addEventListener("resumed", () => {
    state.resumes++;
    // Messages sent while the socket was down are lost: a connection not up by now starts over.
    if (!peer || peer.pc.connectionState !== "connected") restart("signaling resumed");
  });
  sig.addEventListener("failed", (ev) => onSignalFailed(sig, ev.detail));
  sig.addEventListener("error", (ev) => report(ev.detail));
}

async function onSignalFailed(sig, { name, reason }) {
  if (sig !== signal) return;
  if (FINAL_ERRORS.has(name) || sig.kind === "rest") {
    giveUp(explain({ name, message: reason }));
    return;
  }
  // The WebSocket keeps failing: go on over REST, as the phone that holds the session.
  let reply;
  try {
    reply = await joinRest(state.code, sig.token, reason);
  } catch (err) {
    giveUp(explain(err));
    return;
  }
  afterJoin(reply);
}

function afterJoin(reply) {
  if (reply.resumeToken) sessionStorage.setItem(tokenKey(state.code), reply.resumeToken);
  if (reply.type === "cam-resumed") state.resumes++;
  fetchCalibration();
  // A join makes the desktop start over, and after a reload our old connection is gone: either way
  // a new connection is needed, offered by us unless the desktop offers.
  if (ANSWER_ONLY) {
    setStatus("connecting", "waiting for the desktop's offer");
  } else {
    serial(offer);
  }
}

function explain(err) {
  const texts = {
    INVALID_CODE: "no session has this code; check the code on the desktop",
    EXPIRED: "the code expired or the session ended; ask the desktop for a new code",
    SESSION_TAKEN: "another phone is connected to this code",
    REPLACED: "this session was opened in another tab",
    RATE_LIMITED: "too many attempts; wait a minute",
  };
  return texts[err.name] || `${err.name}: ${err.message}`;
}

function send(msg) {
  if (signal && !signal.send(msg)) console.info("dartcam: lost while the socket was down:", msg.type);
}

async function onMessage(msg) {
  switch (msg.type) {
    case "cam-answer":
      if (peer && peer.awaitingAnswer && msg.payload) await peer.acceptAnswer(msg.payload.sdp);
      break;
    case "cam-offer":
      if (!msg.payload) break;
      if (peer && peer.awaitingAnswer && performance.now() - peer.offeredAt < OWN_OFFER_PATIENCE_MS) {
        break; // glare: the desktop yields and answers our offer
      }
      await answer(msg.payload.sdp);
      break;
    case "cam-ice":
      if (peer) await peer.addCandidate(msg.payload);
      break;
    case "cam-calibration":
      showCalibration(msg.payload);
      break;
    case "cam-peer-left":
      // The desktop's signaling socket dropped; it may resume, and the video goes on meanwhile.
      if (msg.role === "desktop") state.desktopLeft++;
      break;
    case "cam-error":
      // Shown, never answered: the server must not be drawn into an error loop.
      state.errors.push(`${msg.code}: ${msg.message || ""}`);
      if (msg.code === "EXPIRED") giveUp(explain({ name: "EXPIRED" }));
      else showNote(`server: ${msg.message || msg.code}`);
      break;
    default:
      break; // unrelated pushes of other servers
  }
}

function report(err) {
  console.error("dartcam:", err);
  state.errors.push(String(err && err.message ? err.message : err));
}

// ---- WebRTC -------------------------------------------------------------------------------------

function newPeer() {
  if (peer) peer.close();
  clearTimeout(disconnectedTimer);
  const p = new Peer(stream, CODEC);
  p.addEventListener("signal", (ev) => {
    if (p === peer) send(ev.detail);
  });
  p.addEventListener("state", (ev) => {
    if (p === peer) onPeerState(ev.detail);
  });
  peer = p;
  state.pcState = "new";
  return p;
}

async function offer() {
  setStatus("connecting");
  state.offers++;
  await newPeer().offer();
}

async function answer(sdp) {
  setStatus("connecting", "answering the desktop");
  state.answers++;
  await newPeer().answer(sdp);
}

function onPeerState(pcState) {
  state.pcState = pcState;
  clearTimeout(disconnectedTimer);
  if (pcState === "failed") {
    restart("the media path failed");
  } else if (pcState === "disconnected") {
    setStatus("reconnecting", "the media path is interrupted");
    disconnectedTimer = setTimeout(() => restart("the media path did not come back"), DISCONNECTED_GRACE_MS);
  } else {
    showPeerStatus();
  }
}

function showPeerStatus() {
  if (state.status === "error") return;
  if (!peer) return;
  const pcState = peer.pc.connectionState;
  if (pcState === "connected") setStatus("streaming");
  else if (pcState !== "disconnected" && pcState !== "failed") setStatus("connecting");
}

/** The ICE restart: a new connection (the desktop answers it with a new one of its own). */
function restart(reason) {
  const wait = Math.max(0, lastRestart + MIN_RESTART_INTERVAL_MS - Date.now());
  lastRestart = Date.now() + wait;
  state.restarts++;
  setStatus("reconnecting", reason);
  setTimeout(() => serial(offer), wait);
}

// ---- calibration and stats ----------------------------------------------------------------------

function showCalibration(cal) {
  if (!cal || !Array.isArray(cal.H)) return;
  state.calibration = { ...cal, text: describeCalibration(cal) };
  const el = $("calibration");
  el.hidden = false;
  el.classList.remove("bad");
  el.textContent = state.calibration.text;
  drawCalibration($("overlay"), $("preview"), cal);
}

async function fetchCalibration() {
  try {
    const resp = await fetch(new URL(`/cam/calibration/${encodeURIComponent(state.code)}`, SERVER));
    const data = await resp.json();
    if (data.ok && data.calibration && !state.calibration) showCalibration(data.calibration);
  } catch {
    // Not worth a word: the next cam-calibration brings it anyway.
  }
}

async function pollStats() {
  if (peer && peer.pc.connectionState === "connected") {
    const s = await peer.stats().catch(() => null);
    if (s) {
      state.stats = s;
      const fps = s.fps ? `${Math.round(s.fps)} fps` : "";
      $("stats").textContent = [s.width && `${s.width}x${s.height}`, fps, s.codec, state.transport]
        .filter(Boolean)
        .join(" · ");
    }
  }
  setTimeout(pollStats, 1000);
}

// ---- entry --------------------------------------------------------------------------------------

function showCodeForm() {
  const form = $("code-form");
  form.hidden = false;
  $("code-input").focus();
}

function main() {
  // Test hook: drop the signaling socket as a network would.
  window.dartcam = { dropSocket: () => signal && signal.drop && signal.drop() };
  addEventListener("resize", () => state.calibration && drawCalibration($("overlay"), $("preview"), state.calibration));
  pollStats();
  // The screen lock is dropped when the page is hidden: take it again when the page is back.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.status === "streaming") keepAwake();
  });
  $("code-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const typed = normalize($("code-input").value);
    if (!typed) return;
    // Keep the code in the address, so that a reload resumes the same session.
    history.replaceState(null, "", `?${new URLSearchParams({ ...Object.fromEntries(params), code: typed })}`);
    start(typed);
  });
  const code = normalize(params.get("code"));
  if (code) {
    start(code);
  } else {
    setStatus("idle");
    showCodeForm();
  }
}

main();
