"""The agent's side of the signaling server: the WebSocket client that opens and keeps the pairing
session (`client`), what it takes and tells (`interface`: options, session, listener), its states
(`states`) and its acknowledgements (`acks`)."""
