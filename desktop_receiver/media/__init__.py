"""What the agent does with the received video: the frame sink and its consumers (`frames`), the
send-time stamp in the pixels (`stamp`), the frame dump (`dump`)."""
