"""The WebRTC side of the agent: one peer connection attempt (`peer`), the handshake that drives the
attempts from signaling messages (`negotiation`), ICE servers and candidates (`ice`), SDP edits
(`sdputil`)."""
