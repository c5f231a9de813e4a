"""dartcam signaling server: pairs a phone with the desktop agent and relays the WebRTC handshake."""
