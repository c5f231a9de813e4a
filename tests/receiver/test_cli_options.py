"""Bad command-line input ends with a clear message and exit code 2, never a traceback or a busy loop."""

from __future__ import annotations

import asyncio

import pytest

from desktop_receiver.cli import main
from tests.receiver.conftest import TIMEOUT
from tests.receiver.test_cli import _agent_process, _stop


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--stats-interval", "0"], "--stats-interval"),
        (["--dump-every", "0"], "--dump-every"),
        (["--dump", "d", "--dump-max", "0"], "--dump-max"),
        (["--calibrate-every", "0"], "--calibrate-every"),
        (["--qr", "/no/such/dir/qr.png"], "--qr"),
        (["--autoscore", "--board-api", "3180"], "--board-api"),
        (["--autoscore", "--board-api", "host:99999"], "--board-api"),
        (["--autoscore"], "--autoscore needs --calibrate"),
    ],
)
def test_bad_values_are_parser_errors(args, complaint, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert complaint in capsys.readouterr().err


async def test_an_events_file_that_cannot_be_written_is_a_clear_error(tmp_path):
    target = tmp_path / "missing" / "events.jsonl"
    proc = await _agent_process("--listen-host", "127.0.0.1", "--listen-port", "0", "--events", str(target))
    try:
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        await _stop(proc)
    assert proc.returncode == 2
    assert "cannot write events" in err.decode() and "Traceback" not in err.decode()


def test_every_option_is_also_an_environment_variable():
    from desktop_receiver.cli import parse
    from desktop_receiver.webrtc.negotiation import OfferMode

    environ = {
        "DARTCAM_RECEIVER_OFFER": "never",
        "DARTCAM_RECEIVER_ICE_HOST": "127.0.0.1",
        "DARTCAM_RECEIVER_CALIBRATE": "yes",
        "DARTCAM_RECEIVER_DUMP": "frames",
        "DARTCAM_RECEIVER_MAX_FRAMES": "9",
    }
    config, options = parse(["--ice-host", "10.0.0.2", "--dump-every", "3"], environ)
    assert config.negotiation.offer_mode is OfferMode.NEVER
    assert config.peer.ice_hosts == ("10.0.0.2",)  # the command line replaces the environment's value
    assert config.calibration is not None and config.dump is not None and config.dump.every == 3
    assert options.max_frames == 9
    bare, _ = parse([], {})
    assert bare.calibration is None and bare.dump is None


def test_a_bad_environment_value_is_named(capsys):
    from desktop_receiver.cli import parse

    with pytest.raises(SystemExit) as exit_:
        parse([], {"DARTCAM_RECEIVER_GIVE_UP": "soon"})
    assert exit_.value.code == 2
    assert "DARTCAM_RECEIVER_GIVE_UP='soon': not a number" in capsys.readouterr().err
