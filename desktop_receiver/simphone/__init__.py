"""A simulated phone for tests, benchmarks and demos: joins a pairing session by WebSocket or REST and
streams a synthetic, time-stamped camera over WebRTC (aiortc)."""

from desktop_receiver.simphone.phone import PhoneOptions, SimulatedPhone
from desktop_receiver.simphone.sources import SourceOptions, SyntheticCamera
from desktop_receiver.simphone.transport import PhoneSignalingError

__all__ = ["PhoneOptions", "PhoneSignalingError", "SimulatedPhone", "SourceOptions", "SyntheticCamera"]
