"""The agent's side of the signaling server: the WebSocket client that opens and keeps the pairing
session (`client`)."""
