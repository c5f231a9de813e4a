// One WebRTC connection to the desktop: the phone offers its camera and trickles its candidates
// (cam-ice, then a null payload to end them), or answers the desktop's offer. A connection is never
// renegotiated: a restart builds a new one, which the desktop answers with a new one of its own.

/**
 * Events: 'state' (detail: the connection state), 'signal' (detail: a message to send).
 * `codec` ("vp8" | "h264" | null) restricts what the phone sends.
 */
export class Peer extends EventTarget {
  constructor(stream, codec) {
    super();
    this.stream = stream;
    this.codec = codec;
    this.pc = new RTCPeerConnection({ iceServers: [] });
    this.remoteCandidates = []; // those that arrive before the remote description
    this.remoteUfrag = null;
    this.offeredAt = 0;
    this.candidatesEnded = false;
    this.pc.onicecandidate = (ev) => {
      if (ev.candidate && ev.candidate.candidate) {
        this._signal("cam-ice", ev.candidate.toJSON());
      } else if (!this.candidatesEnded) {
        // Chrome ends gathering with an empty candidate and then a null one: one null payload says it.
        this.candidatesEnded = true;
        this._signal("cam-ice", null);
      }
    };
    this.pc.onconnectionstatechange = () => {
      this.dispatchEvent(new CustomEvent("state", { detail: this.pc.connectionState }));
    };
  }

  _signal(type, payload) {
    this.dispatchEvent(new CustomEvent("signal", { detail: { type, payload } }));
  }

  _preferCodec(transceiver) {
    if (!this.codec || !RTCRtpSender.getCapabilities) return;
    const wanted = `video/${this.codec}`.toLowerCase();
    const codecs = RTCRtpSender.getCapabilities("video").codecs;
    const chosen = codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
    // Retransmission and FEC entries stay, so that the chosen codec keeps its repair streams.
    const repair = codecs.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType));
    if (chosen.length) transceiver.setCodecPreferences([...chosen, ...repair]);
  }

  async _keepResolution(sender) {
    // The desktop measures the board in the picture: under pressure, fewer frames are better than
    // smaller ones (Chrome's default drops the resolution first).
    const params = sender.getParameters();
    params.degradationPreference = "maintain-resolution";
    try {
      await sender.setParameters(params);
    } catch (err) {
      console.warn("dartcam: cannot keep the resolution", err);
    }
  }

  /** Makes our offer (the page's default flow); the answer comes back through acceptAnswer(). */
  async offer() {
    const track = this.stream.getVideoTracks()[0];
    const transceiver = this.pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
    this._preferCodec(transceiver);
    await this._keepResolution(transceiver.sender);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.offeredAt = performance.now();
    // Sent before any candidate: candidate events are tasks, they run after this continuation.
    this._signal("cam-offer", { type: "offer", sdp: this.pc.localDescription.sdp });
  }

  /** Answers the desktop's offer with the camera. */
  async answer(sdp) {
    await this._setRemote({ type: "offer", sdp });
    const track = this.stream.getVideoTracks()[0];
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.track.kind === "video");
    if (transceiver) {
      await transceiver.sender.replaceTrack(track);
      transceiver.direction = "sendonly";
      this._preferCodec(transceiver);
    } else {
      this.pc.addTrack(track, this.stream);
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const sender = transceiver ? transceiver.sender : this.pc.getSenders()[0];
    await this._keepResolution(sender);
    this._signal("cam-answer", { type: "answer", sdp: this.pc.localDescription.sdp });
    await this._flushCandidates();
  }

  /** Sends another camera stream on this connection (no renegotiation: same codec, same size). */
  async useStream(stream) {
    this.stream = stream;
    const sender = this.pc.getSenders().find((s) => !s.track || s.track.kind === "video");
    if (sender) await sender.replaceTrack(stream.getVideoTracks()[0]);
  }

  /** True while our offer waits for its answer (the glare window). */
  get awaitingAnswer() {
    return this.pc.signalingState === "have-local-offer";
  }

  /** Applies the desktop's answer to our offer. */
  async acceptAnswer(sdp) {
    await this._setRemote({ type: "answer", sdp });
    await this._flushCandidates();
  }

  async _setRemote(description) {
    await this.pc.setRemoteDescription(description);
    const match = /^a=ice-ufrag:(\S+)/m.exec(description.sdp);
    this.remoteUfrag = match ? match[1] : null;
  }

  /** Adds one of the desktop's candidates (null: the end of them). */
  async addCandidate(payload) {
    if (!this.pc.remoteDescription) {
      this.remoteCandidates.push(payload);
      return;
    }
    if (
      payload &&
      payload.usernameFragment &&
      this.remoteUfrag &&
      payload.usernameFragment !== this.remoteUfrag
    ) {
      return; // a stale candidate of an earlier connection
    }
    try {
      await this.pc.addIceCandidate(payload && payload.candidate ? payload : undefined);
    } catch (err) {
      console.warn("dartcam: candidate refused", err);
    }
  }

  async _flushCandidates() {
    const early = this.remoteCandidates;
    this.remoteCandidates = [];
    for (const payload of early) await this.addCandidate(payload);
  }

  /** Outbound video figures: {codec, width, height, fps (sent), captureFps, framesSent, bytesSent}. */
  async stats() {
    const report = await this.pc.getStats();
    let out = null;
    let source = null;
    const codecs = new Map();
    report.forEach((s) => {
      if (s.type === "codec") codecs.set(s.id, s.mimeType);
      if (s.type === "outbound-rtp" && s.kind === "video") out = s;
      if (s.type === "media-source" && s.kind === "video") source = s;
    });
    if (!out) return null;
    return {
      codec: (codecs.get(out.codecId) || "").replace("video/", "") || null,
      width: out.frameWidth || null,
      height: out.frameHeight || null,
      fps: out.framesPerSecond || null,
      captureFps: (source && source.framesPerSecond) || null,
      framesSent: out.framesSent || 0,
      bytesSent: out.bytesSent || 0,
      limitation: out.qualityLimitationReason || null,
    };
  }

  close() {
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}
