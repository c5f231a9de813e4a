"""Small SDP edits and readings that aiortc does not offer: bitrate hints for browsers, the negotiated
video codec, and the split of a full SDP into a candidate-less SDP plus its candidates (to trickle them,
since aiortc itself only does half-trickle)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)/", re.IGNORECASE)
_FMTP = re.compile(r"^a=fmtp:(\d+) (.*)$")
# Codecs that carry media (not retransmission, redundancy or FEC).
_NOT_MEDIA = {"rtx", "red", "ulpfec", "flexfec-03"}


@dataclass(frozen=True)
class TrickleCandidate:
    """One candidate taken out of an SDP, with what `cam-ice` needs to route it."""

    line: str  # "candidate:..." without the "a="
    sdp_mid: str | None
    sdp_mline_index: int
    ufrag: str | None


def _split_sections(sdp: str) -> list[list[str]]:
    """Session section first, then one list of lines per m= section."""
    sections: list[list[str]] = [[]]
    for line in sdp.splitlines():
        if not line:
            continue
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    return sections


def _join(sections: list[list[str]]) -> str:
    return "\r\n".join(line for section in sections for line in section) + "\r\n"


def add_bitrate_hints(sdp: str, start_kbps: int, min_kbps: int, max_kbps: int | None = None) -> str:
    """Adds x-google-start/min(/max)-bitrate to every video codec's fmtp (creating the line if needed).

    Chrome starts at ~300 kbps against aiortc and sends 640x360 for ~15 s; with these hints in our
    answer it sends full resolution from the first frame."""
    hint = f"x-google-start-bitrate={start_kbps};x-google-min-bitrate={min_kbps}"
    if max_kbps:
        hint += f";x-google-max-bitrate={max_kbps}"
    sections = _split_sections(sdp)
    for section in sections[1:]:
        if not section[0].startswith("m=video"):
            continue
        media_pts = []
        for line in section:
            m = _RTPMAP.match(line)
            if m and m.group(2).lower() not in _NOT_MEDIA:
                media_pts.append(m.group(1))
        for pt in media_pts:
            index = next((i for i, line in enumerate(section) if line.startswith(f"a=fmtp:{pt} ")), None)
            if index is None:
                rtpmap = next(i for i, line in enumerate(section) if line.startswith(f"a=rtpmap:{pt} "))
                section.insert(rtpmap + 1, f"a=fmtp:{pt} {hint}")
            elif "x-google-start-bitrate" not in section[index]:
                section[index] += ";" + hint
    return _join(sections)


def video_codecs(sdp: str) -> list[str]:
    """The media codecs of the first video section, in the SDP's order of preference ("VP8", "H264")."""
    for section in _split_sections(sdp)[1:]:
        if section[0].startswith("m=video"):
            order = section[0].split()[3:]
            names = {}
            for line in section:
                m = _RTPMAP.match(line)
                if m:
                    names[m.group(1)] = m.group(2)
            return [names[pt] for pt in order if pt in names and names[pt].lower() not in _NOT_MEDIA]
    return []


def ice_ufrag(sdp: str) -> str | None:
    """The first ice-ufrag of the SDP (media level or session level)."""
    m = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.MULTILINE)
    return m.group(1) if m else None


def strip_candidates(sdp: str) -> tuple[str, list[TrickleCandidate]]:
    """Removes the candidate and end-of-candidates lines; returns the SDP and the candidates in order.

    Used by the simulated phone to trickle like a browser does. With BUNDLE every candidate belongs to
    the first section, as in a browser's trickle."""
    sections = _split_sections(sdp)
    session_ufrag = ice_ufrag("\r\n".join(sections[0]))
    out: list[TrickleCandidate] = []
    seen: set[str] = set()
    for index, section in enumerate(sections[1:]):
        mid = next((line.split(":", 1)[1] for line in section if line.startswith("a=mid:")), None)
        ufrag = ice_ufrag("\r\n".join(section)) or session_ufrag
        kept = []
        for line in section:
            if line.startswith("a=candidate:"):
                text = line[2:]
                if text not in seen:  # a bundled description repeats them per section
                    seen.add(text)
                    out.append(TrickleCandidate(text, mid, index, ufrag))
            elif line != "a=end-of-candidates":
                kept.append(line)
        section[:] = kept
    return _join(sections), out
