// The phone page: opens the rear camera, pairs with the desktop through the signaling server and
// streams over WebRTC (PROTOCOL.md). URL parameters: code (the pairing code), server (default: this
// page's origin), transport=rest (no WebSocket), mode=answer (wait for the desktop's offer, like the
// deployed page), codec=vp8|h264, res=720p|1080p. This module is the page itself (the DOM, the camera,
// the screen lock); session.js does the signaling and restart.js the WebRTC connection.

import { describeTrack, openCamera } from "./camera.js";
import { describeCalibration, drawCalibration } from "./calibration.js";
import { RestartController } from "./restart.js";
import { SessionController, TokenStore } from "./session.js";
import { serialQueue } from "./util.js";

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
const STATS_INTERVAL_MS = 1000;

const $ = (id) => document.getElementById(id);

/** The page's options, from its URL parameters. */
function pageOptions(params) {
  const codec = params.get("codec");
  return {
    server: params.get("server") || location.origin,
    forceRest: params.get("transport") === "rest",
    answerOnly: params.get("mode") === "answer",
    codec: ["vp8", "h264"].includes(codec) ? codec : null,
    size: params.get("res") === "1080p" ? "1080p" : "720p",
  };
}

/** What the page is doing; tests read it (window.dartcamState). */
function newState() {
  return {
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
    data: [],
    duplicates: 0,
    loadedAt: performance.timeOrigin,
    streamingAt: null,
  };
}

function normalize(code) {
  return (code || "").trim().toUpperCase();
}

/** The page: its DOM and camera, and the `ui` of the session and restart controllers. */
class PhonePage {
  constructor(params) {
    this.params = params;
    this.options = pageOptions(params);
    this.state = newState();
    this.stream = null;
    this.session = null;
    this.rtc = null;
    this.wakeLock = null; // the promise of the screen wake lock while one is held or asked for
    // Messages, offers, restarts and camera swaps run one at a time, in order: a message must not
    // act on a connection that an offer is still setting up.
    this.serial = serialQueue((err) => this.report(err));
  }

  // ---- the controllers' ui ----------------------------------------------------------------------

  status(status, detail = "") {
    const state = this.state;
    state.status = status;
    state.detail = detail;
    if (status === "streaming") {
      if (state.streamingAt === null) state.streamingAt = Date.now();
      this._keepAwake();
    }
    const el = $("status");
    el.dataset.state = status;
    el.textContent = detail ? `${STATUS_TEXT[status]}: ${detail}` : STATUS_TEXT[status];
  }

  note(text) {
    $("note").hidden = !text;
    $("note").textContent = text;
  }

  fail(detail) {
    this.state.errors.push(detail);
    this.status("error", detail);
  }

  report(err) {
    console.error("dartcam:", err);
    this.state.errors.push(String(err && err.message ? err.message : err));
  }

  /** The page's part of giving up: the camera and the screen lock go, the code form comes back. */
  stop() {
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    if (this.wakeLock) this.wakeLock.then((lock) => lock && lock.release());
    this.stream = null;
    this._showCodeForm();
  }

  showCalibration(cal) {
    if (!cal || !Array.isArray(cal.H)) return;
    this.state.calibration = { ...cal, text: describeCalibration(cal) };
    const el = $("calibration");
    el.hidden = false;
    el.classList.remove("bad");
    el.textContent = this.state.calibration.text;
    drawCalibration($("overlay"), $("preview"), cal);
  }

  /** Shows the calibration the server stored for the code, if any and none is shown yet. */
  async loadCalibration() {
    try {
      const url = new URL(`/cam/calibration/${encodeURIComponent(this.state.code)}`, this.options.server);
      const data = await (await fetch(url)).json();
      if (data.ok && data.calibration && !this.state.calibration) this.showCalibration(data.calibration);
    } catch {
      // Not worth a word: the next cam-calibration brings it anyway.
    }
  }

  // ---- start --------------------------------------------------------------------------------------

  async start(code) {
    this.state.code = code;
    $("code-label").textContent = code;
    $("code-form").hidden = true;
    $("start").hidden = true;
    this.status("camera");
    try {
      this._useCamera(await openCamera(this.options.size));
    } catch (err) {
      if (err.name === "NotAllowedError") {
        // Some browsers only ask for the camera after a tap.
        this._askForGesture(code, "the camera needs your permission");
        return;
      }
      this.fail(`camera: ${err.name} ${err.message}`);
      return;
    }
    await this._connect(code);
  }

  async _connect(code) {
    const { server, forceRest, answerOnly, codec } = this.options;
    const common = { state: this.state, ui: this, serial: this.serial };
    const rtc = new RestartController({ ...common, codec, send: (msg) => session.send(msg) });
    const session = new SessionController({
      ...common,
      server,
      code,
      forceRest,
      answerOnly,
      rtc,
      tokens: new TokenStore(sessionStorage, code),
    });
    this.rtc = rtc;
    this.session = session;
    await rtc.setStream(this.stream);
    await session.connect();
  }

  _useCamera(camera) {
    const stream = camera.stream;
    this.stream = stream;
    this.state.cameraNote = camera.note;
    const track = stream.getVideoTracks()[0];
    this.state.camera = describeTrack(track);
    this.note(this.state.cameraNote ? `${this.state.cameraNote} (${this.state.camera})` : "");
    // A phone stops the camera when the page goes to the background (or another app takes it).
    // The handler property, not addEventListener: Firefox 153 did not call a listener added to a
    // MediaStreamTrack with addEventListener for a dispatched "ended" (onended it did call).
    track.onended = () => this.serial(() => this._reopenCamera(track));
    const video = $("preview");
    video.srcObject = stream;
    video.play().catch(() => this._askToShowPreview());
  }

  /** The camera track ended: open the camera again and swap it into the running connection. */
  async _reopenCamera(ended) {
    if (!this.stream || this.stream.getVideoTracks()[0] !== ended) return; // gave up, or already replaced
    this.state.cameraRestarts++;
    this.status("reconnecting", "the camera stopped");
    if (document.hidden) await new Promise((resolve) => onVisible(resolve));
    try {
      this._useCamera(await openCamera(this.options.size));
    } catch (err) {
      this.fail(`camera: ${err.name} ${err.message}`);
      return;
    }
    if (this.rtc) {
      await this.rtc.setStream(this.stream);
      this.rtc.showStatus();
    }
  }

  /** Keeps the phone's screen on while streaming: a sleeping phone stops its camera. */
  _keepAwake() {
    if (!("wakeLock" in navigator) || this.wakeLock || document.hidden) return;
    // Held as a promise from the request on, so that a second call does not take a second lock.
    this.wakeLock = navigator.wakeLock.request("screen").then(
      (lock) => {
        lock.addEventListener("release", () => {
          this.wakeLock = null;
        });
        return lock;
      },
      () => {
        // Refused (battery saver, no user activation yet): the screen may sleep; nothing else to do.
        this.wakeLock = null;
        return null;
      },
    );
  }

  /** Shows the start button: the browser wants a tap before it gives the camera. */
  _askForGesture(code, why) {
    this.status("tap", why);
    const button = $("start");
    button.hidden = false;
    button.onclick = () => {
      button.hidden = true;
      this.start(code);
    };
  }

  /** The preview would not play without a tap; the stream goes on meanwhile, only the preview waits. */
  _askToShowPreview() {
    const button = $("start");
    button.textContent = "Show the preview";
    button.hidden = false;
    button.onclick = () => {
      button.hidden = true;
      $("preview").play();
    };
  }

  _showCodeForm() {
    $("code-form").hidden = false;
    $("code-input").focus();
  }

  async _pollStats() {
    const s = this.rtc && this.rtc.connected ? await this.rtc.stats().catch(() => null) : null;
    if (s) {
      this.state.stats = s;
      const fps = s.fps ? `${Math.round(s.fps)} fps` : "";
      $("stats").textContent = [s.width && `${s.width}x${s.height}`, fps, s.codec, this.state.transport]
        .filter(Boolean)
        .join(" · ");
    }
    setTimeout(() => this._pollStats(), STATS_INTERVAL_MS);
  }

  // ---- entry --------------------------------------------------------------------------------------

  main() {
    window.dartcamState = this.state;
    // Test hook: drop the signaling socket as a network would.
    window.dartcam = { dropSocket: () => this.session && this.session.drop() };
    addEventListener("resize", () => {
      if (this.state.calibration) drawCalibration($("overlay"), $("preview"), this.state.calibration);
    });
    this._pollStats();
    // The screen lock is dropped when the page is hidden: take it again when the page is back.
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.state.status === "streaming") this._keepAwake();
    });
    $("code-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const typed = normalize($("code-input").value);
      if (!typed) return;
      // Keep the code in the address, so that a reload resumes the same session.
      const query = new URLSearchParams({ ...Object.fromEntries(this.params), code: typed });
      history.replaceState(null, "", `?${query}`);
      this.start(typed);
    });
    const code = normalize(this.params.get("code"));
    if (code) {
      this.start(code);
    } else {
      this.status("idle");
      this._showCodeForm();
    }
  }
}

function onVisible(callback) {
  const listener = () => {
    if (document.hidden) return;
    document.removeEventListener("visibilitychange", listener);
    callback();
  };
  document.addEventListener("visibilitychange", listener);
}

new PhonePage(new URLSearchParams(location.search)).main();
