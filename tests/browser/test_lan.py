"""A real phone on the LAN out of the box: `scripts/run` with no network flags, in a network namespace
whose only link is a LAN address (a veth pair into the phone's namespace, no default route), prints and
encodes in its QR code `https://<that address>:8787/…`, and headless Chromium in the phone's namespace
opens that URL, taps through the certificate warning as the terminal says, and streams to the agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509

from tests.browser.clips import board_clip
from tests.browser.lan import DESKTOP
from tests.browser.netns import NetnsUnavailable, run_module

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
FRAMES = 60


def test_scripts_run_serves_a_phone_on_the_lan_by_default(tmp_path: Path) -> None:
    clip = board_clip(tmp_path / "clips")
    out = tmp_path / "run"
    try:
        result = run_module(
            "tests.browser.lan", ["--clip", str(clip), "--out", str(out), "--frames", str(FRAMES)], 240
        )
    except NetnsUnavailable as exc:
        pytest.fail(f"no network namespace, so no LAN test: {exc}")
    assert not result.get("error"), f"{result['error']}\nlogs: {out}\n{result.get('traceback')}"

    # The desktop's namespace: loopback and one LAN address, no default route.
    routes = result["desktop_routes"]
    assert routes and not [r for r in routes if r.startswith("default")], routes
    addresses = [line.split()[3] for line in result["desktop_addr"] if " inet " in line]
    assert addresses == ["127.0.0.1/8", f"{DESKTOP}/24"], addresses

    # No network flag was given, and the URL and the QR code name the LAN address over https.
    assert not [arg for arg in result["agent_cmd"] if arg.startswith(("--listen", "--public", "--tls"))]
    url = result["url"]
    assert url == f"https://{DESKTOP}:8787/mobile-cam.html?code={result['code']}"
    assert result["qr"] == url
    output = result["agent_output"]
    assert f"Phone URL:    {url}\n" in output and "Also at" not in output
    (hint,) = [line for line in output.splitlines() if line.startswith("On the phone:")]
    assert "not private" in hint and f"Proceed to {DESKTOP}" in hint

    # The certificate names every address the server has, and the phone's TLS check of it passed.
    cert = x509.load_pem_x509_certificate((out / "config" / "dartcam" / "tls-cert.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1", DESKTOP}
    phone = result["phone"]
    assert json.loads(phone["health"]) == {"ok": True}
    # What the phone showed is what the terminal said, and tapping as it said got through.
    assert "not private" in phone["warning"].lower() and "proceeded" in phone["marks"]
    assert phone["page"]["status"] == "streaming" and phone["page"]["transport"] == "ws"

    # The agent streamed until --max-frames ended it.
    assert result["agent_exit"] == 0
    events = {e["event"]: e for e in result["events"]}
    assert events["stopped"]["decoded"] >= FRAMES
    assert (events["connected"]["width"], events["connected"]["height"]) == (1280, 720)
    first_ms = events["first-frame"]["ms_since_join"]
    (out / "first_frame_ms.txt").write_text(f"{first_ms}\n")
    print(f"LAN: first frame {first_ms} ms after the phone joined")
    assert 0 < first_ms < 5000, first_ms
