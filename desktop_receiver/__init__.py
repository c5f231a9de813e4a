"""dartcam desktop agent: receives a phone camera over WebRTC and hands frames to OpenCV."""
