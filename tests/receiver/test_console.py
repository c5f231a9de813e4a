"""What the agent prints for a pairing code: the URL the QR code holds, the page's other addresses,
and one line on what the phone will show and what to tap."""

from __future__ import annotations

import io
from pathlib import Path

from desktop_receiver.cli import _Console, parse
from desktop_receiver.events import CodeEvent

URL = "https://192.168.1.23:8787/mobile-cam.html?code=ABCDEF"
OTHER = "https://172.17.0.1:8787/mobile-cam.html?code=ABCDEF"


def _printed(event: CodeEvent, draw_qr: bool = False, qr_file: Path | None = None) -> list[str]:
    out = io.StringIO()
    _Console(out, draw_qr, qr_file)(event)
    return out.getvalue().splitlines()


def test_several_addresses_are_all_printed_and_the_qr_one_is_named() -> None:
    lines = _printed(CodeEvent(code="ABCDEF", url=URL, other_urls=[OTHER], self_signed=True), draw_qr=True)
    assert lines[:3] == [
        "Pairing code: ABCDEF",
        f"Phone URL:    {URL} (in the QR code)",
        f"Also at:      {OTHER}",
    ]
    assert lines[3].startswith("On the phone:") and "Proceed to 192.168.1.23" in lines[3]
    assert len(lines) > 10  # the QR code follows


def test_one_address_needs_no_note_and_a_trusted_certificate_no_warning() -> None:
    lines = _printed(CodeEvent(code="ABCDEF", url=URL))
    assert lines == ["Pairing code: ABCDEF", f"Phone URL:    {URL}"]


def test_plain_http_on_the_lan_says_the_camera_will_be_refused() -> None:
    lines = _printed(CodeEvent(code="ABCDEF", url="http://192.168.1.23:8787/mobile-cam.html?code=ABCDEF"))
    assert "--no-tls" in lines[-1] and "camera" in lines[-1]


def test_tls_is_decided_unless_asked_for_or_refused() -> None:
    assert parse([], {})[0].tls is None
    assert parse(["--no-tls"], {})[0].tls is False
    assert parse(["--tls"], {})[0].tls is True
    assert parse([], {"DARTCAM_RECEIVER_TLS": "0"})[0].tls is False


def test_self_signed_certificate_file_is_named_for_the_simulated_phone() -> None:
    event = CodeEvent(
        code="ABCDEF", url=URL, self_signed=True, certificate="/home/u/.config/dartcam/tls-cert.pem"
    )
    lines = _printed(event)
    assert (
        lines[-1].startswith("Certificate: /home/u/.config/dartcam/tls-cert.pem") and "--cafile" in lines[-1]
    )
