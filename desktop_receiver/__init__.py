"""dartcam desktop agent: receives a phone camera over WebRTC and hands frames to OpenCV.

The Python API is what this package exports: `Agent` and its configuration (`AgentConfig` with
`PeerOptions`, `NegotiationOptions`, `ClientOptions`, `DumpOptions`, `CalibrationOptions`), the frames it
serves (`Frame`, `FrameMeta`) and the events it emits. Subpackages: `webrtc/` (peer connection attempts
and the handshake), `media/` (frame sink, pixel stamp, dump), `pairing/` (the signaling client),
`calibration/` (the board calibration), `simphone/` (a simulated phone).
"""

from desktop_receiver.agent import Agent, AgentError
from desktop_receiver.calibration.runner import CalibrationOptions
from desktop_receiver.config import AgentConfig
from desktop_receiver.events import (
    Calibrated,
    CodeEvent,
    Connected,
    ErrorEvent,
    Event,
    FirstFrame,
    PeerJoined,
    PeerLeft,
    Reconnecting,
    Resumed,
    Stats,
    Stopped,
)
from desktop_receiver.media.dump import DumpOptions
from desktop_receiver.media.frames import Frame, FrameMeta
from desktop_receiver.pairing.interface import ClientOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions, OfferMode
from desktop_receiver.webrtc.peer import PeerOptions

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentError",
    "Calibrated",
    "CalibrationOptions",
    "ClientOptions",
    "CodeEvent",
    "Connected",
    "DumpOptions",
    "ErrorEvent",
    "Event",
    "FirstFrame",
    "Frame",
    "FrameMeta",
    "NegotiationOptions",
    "OfferMode",
    "PeerJoined",
    "PeerLeft",
    "PeerOptions",
    "Reconnecting",
    "Resumed",
    "Stats",
    "Stopped",
]
