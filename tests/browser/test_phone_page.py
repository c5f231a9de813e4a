"""The phone page in real headless browsers (Chromium, and Firefox ESR where the case does not need
Playwright) against the real agent and signaling server, all inside a loopback-only network
namespace (one per test). Each test asserts what the agent received. On a failure the message names
the folder with the page's screenshots (one per step) and the logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.clips import board_clip, board_truth
from tests.browser.engines import ENGINES
from tests.browser.netns import NetnsUnavailable, run_module

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
SCENARIO_TIMEOUT = 240.0
HD = (1280, 720)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera: a board at an angle, 1280x720, 30 fps."""
    return board_clip(tmp_path_factory.mktemp("clips"))


def play(case: str, clip: Path, out: Path, *extra: str, engine: str = "chromium") -> dict[str, Any]:
    """Runs one scenario in its own namespace; fails with the page's state and where to look."""
    try:
        result = run_module(
            "tests.browser.scenario",
            ["--case", case, "--engine", engine, "--clip", str(clip), "--out", str(out), *extra],
            timeout=SCENARIO_TIMEOUT,
        )
    except NetnsUnavailable as exc:
        pytest.fail(f"no loopback-only network namespace, so no real-browser test: {exc}")
    if result.get("error"):
        pytest.fail(
            f"scenario {case} failed: {result['error']}\npage states: {result.get('pages')}\n"
            f"console: {result.get('console')}\nscreenshots and logs: {out}\n{result.get('traceback')}"
        )
    return result


def events(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The agent's events of one kind."""
    return [e for e in result["events"] if e["event"] == name]


def frames_between(result: dict[str, Any], start: float, end: float) -> list[dict[str, Any]]:
    """The frames the agent decoded between two wall-clock times."""
    return [f for f in result["frames"] if start <= f["t"] < end]


def assert_streamed(result: dict[str, Any], seconds: float = 1.0) -> list[dict[str, Any]]:
    """The agent got 1280x720 frames from the first one, for `seconds`; returns those frames."""
    first = result["frames"][0]
    early = frames_between(result, first["t"], first["t"] + seconds)
    assert len(early) >= 8 * seconds, f"only {len(early)} frames in the first {seconds:g} s"
    sizes = {(f["w"], f["h"]) for f in early}
    assert sizes == {HD}, f"frame sizes in the first {seconds:g} s: {sizes}"
    return early


def first_frame_after_join(result: dict[str, Any]) -> float:
    """Seconds from the agent's peer-joined to its first decoded frame."""
    (joined,) = events(result, "peer-joined")
    return result["frames"][0]["t"] - joined["t"]


# (engine, codec): Firefox has no H.264 here (see test_firefox_without_openh264_streams_vp8).
STREAMS = [("chromium", "vp8"), ("chromium", "h264"), ("firefox", "vp8")]


@pytest.mark.parametrize(("engine", "codec"), STREAMS)
def test_page_offers_over_websocket(clip: Path, tmp_path: Path, engine: str, codec: str) -> None:
    result = play("ws", clip, tmp_path, "--codec", codec, "--page-codec", codec, engine=engine)
    assert result["engine"] == engine
    assert_streamed(result)
    # The first frame follows the join quickly: the page offers as soon as it has joined.
    assert first_frame_after_join(result) < 3.0
    (connected,) = events(result, "connected")
    assert connected["codec"].lower() == codec
    assert (connected["width"], connected["height"]) == HD
    page = result["pages"]["end"]
    assert page["status"] == "streaming" and page["transport"] == "ws"
    assert (page["offers"], page["answers"]) == (1, 0)
    assert page["stats"]["codec"].lower() == codec
    # The page trickled its candidates (at least one, then the end) after one offer; aiortc answers
    # with its candidates in the SDP, so none came back.
    messages = result["messages"]
    assert messages["cam-offer"] == 1 and messages["cam-answer"] == 1
    assert messages["cam-ice"] >= 2
    # Steady: more frames for the whole run, all of one connection.
    assert len(result["frames"]) >= 30 and {f["attempt"] for f in result["frames"]} == {1}


def test_firefox_without_openh264_streams_vp8(clip: Path, tmp_path: Path) -> None:
    # Firefox sends H.264 only through the OpenH264 plugin it downloads itself (or a hardware
    # encoder): Debian ships neither, so the page asked for H.264 sends what Firefox has, VP8, and
    # the agent that prefers H.264 takes it.
    result = play("ws", clip, tmp_path, "--codec", "h264", "--page-codec", "h264", engine="firefox")
    assert not any("h264" in c.lower() for c in result["send_codecs"]), result["send_codecs"]
    assert "video/VP8" in result["send_codecs"]
    assert_streamed(result)
    (connected,) = events(result, "connected")
    assert connected["codec"] == "VP8"
    assert result["pages"]["end"]["stats"]["codec"] == "VP8"


@pytest.mark.parametrize("engine", ENGINES)
def test_wrong_code_is_explained_and_typed_code_works(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("typed-code", clip, tmp_path, engine=engine)
    wrong = result["pages"]["wrong-code"]
    assert wrong["status"] == "error" and "no session has this code" in wrong["detail"]
    assert "no session has this code" in result["wrong_code_status"]
    assert_streamed(result)
    page = result["pages"]["end"]
    assert page["code"] == result["code"] and page["status"] == "streaming"


def test_start_button_once_the_camera_is_allowed(clip: Path, tmp_path: Path) -> None:
    result = play("permission", clip, tmp_path)
    refused = result["pages"]["refused"]
    assert refused["status"] == "tap" and "permission" in refused["detail"]
    assert refused["transport"] is None  # nothing joined before the camera was there
    assert_streamed(result)
    assert result["pages"]["end"]["status"] == "streaming"


@pytest.mark.parametrize("engine", ENGINES)
def test_page_on_rest_only(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("rest", clip, tmp_path, engine=engine)
    assert_streamed(result)
    page = result["pages"]["end"]
    assert page["transport"] == "rest" and page["status"] == "streaming"
    assert page["restFallbacks"] == 0  # asked for, not fallen back to


@pytest.mark.parametrize("engine", ENGINES)
def test_agent_offers_and_page_answers(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("agent-offers", clip, tmp_path, engine=engine)
    assert_streamed(result)
    page = result["pages"]["end"]
    assert (page["offers"], page["answers"]) == (0, 1)
    assert events(result, "connected")


@pytest.mark.parametrize("engine", ENGINES)
def test_page_reload_resumes_without_new_code(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("reload", clip, tmp_path, engine=engine)
    assert_streamed(result)
    assert [e["code"] for e in events(result, "code")] == [result["code"]]
    marks = result["marks"]
    before = frames_between(result, 0, marks["reload"])
    after = frames_between(result, marks["frames-after-reload"], marks["end"])
    assert before and after
    assert after[0]["attempt"] > before[-1]["attempt"]
    assert {(f["w"], f["h"]) for f in after} == {HD}
    page = result["pages"]["end"]
    # The reloaded page resumed the same session with its token, and offered a new connection.
    assert page["code"] == result["code"] and page["resumes"] == 1 and page["offers"] == 1
    assert page["status"] == "streaming" and page["transport"] == "ws"


@pytest.mark.parametrize("engine", ENGINES)
def test_signaling_sockets_drop_while_media_flows(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("socket-drops", clip, tmp_path, engine=engine)
    marks = result["marks"]
    assert events(result, "reconnecting") and events(result, "resumed")
    assert [e["code"] for e in events(result, "code")] == [result["code"]]
    attempt = result["frames"][0]["attempt"]
    during = frames_between(result, marks["cut"] + 0.5, marks["restored"])
    # Three seconds without the agent's signaling socket: the video went on, on the same connection.
    assert len(during) >= 30, f"{len(during)} frames while the agent's socket was down"
    # Then the page's socket dropped: it resumed with its token, and the video still went on.
    after = frames_between(result, marks["resumed"], marks["end"])
    assert frames_between(result, marks["page-resumed"], marks["end"])
    assert {f["attempt"] for f in during + after} == {attempt}
    page = result["pages"]["end"]
    assert page["status"] == "streaming" and page["resumes"] == 1
    assert (page["offers"], page["restarts"]) == (1, 0)


def test_websocket_blocked_falls_back_to_rest(clip: Path, tmp_path: Path) -> None:
    result = play("ws-blocked", clip, tmp_path)
    assert_streamed(result)
    page = result["pages"]["end"]
    assert page["transport"] == "rest" and page["restFallbacks"] == 1
    assert page["status"] == "streaming"


def test_websocket_that_keeps_failing_falls_back_to_rest(clip: Path, tmp_path: Path) -> None:
    result = play("ws-failing", clip, tmp_path)
    marks = result["marks"]
    assert result["sockets"] >= 5  # the first one, then the reconnects that failed
    page = result["pages"]["end"]
    assert page["transport"] == "rest" and page["restFallbacks"] == 1
    assert page["status"] == "streaming"
    # Joined again over REST as the same phone: same code, a new connection, full resolution.
    assert [e["code"] for e in events(result, "code")] == [result["code"]]
    after = frames_between(result, marks["streaming-on-rest"], marks["end"])
    assert after and {(f["w"], f["h"]) for f in after} == {HD}
    assert after[0]["attempt"] > result["frames"][0]["attempt"]


@pytest.mark.parametrize("engine", ENGINES)
def test_camera_that_ends_is_reopened_on_the_same_connection(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("camera-ended", clip, tmp_path, engine=engine)
    marks = result["marks"]
    page = result["pages"]["end"]
    assert page["cameraRestarts"] == 1 and page["status"] == "streaming"
    assert (page["offers"], page["restarts"]) == (1, 0)  # the new track went into the same connection
    after = frames_between(result, marks["camera-back"] + 0.5, marks["end"])
    assert len(after) >= 15, f"{len(after)} frames after the camera came back"
    assert {f["attempt"] for f in after} == {result["frames"][0]["attempt"]}
    assert {(f["w"], f["h"]) for f in after} == {HD}


@pytest.mark.parametrize("engine", ENGINES)
def test_media_path_failure_restarts_ice(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("media-cut", clip, tmp_path, engine=engine)
    marks = result["marks"]
    first = result["frames"][0]["attempt"]
    assert result["pages"]["restarting"]["restarts"] >= 1
    after = frames_between(result, marks["frames-after-restart"], marks["end"] + 1)
    assert after and all(f["attempt"] > first for f in after)
    assert {(f["w"], f["h"]) for f in after} == {HD}
    page = result["pages"]["end"]
    assert page["status"] == "streaming" and page["offers"] >= 2
    assert [e["code"] for e in events(result, "code")] == [result["code"]]


@pytest.mark.parametrize("engine", ENGINES)
def test_https_on_the_agents_embedded_server(clip: Path, tmp_path: Path, engine: str) -> None:
    result = play("tls", clip, tmp_path, engine=engine)
    assert result["agent_url"].startswith("https://127.0.0.1:")
    assert result["agent_url"].endswith(f"/mobile-cam.html?code={result['code']}")
    assert result["url"].startswith("https://")
    assert_streamed(result)
    page = result["pages"]["end"]
    assert page["transport"] == "ws" and page["status"] == "streaming"
    # The whole product path over TLS: the calibration reached the page and the agent reported no
    # error. Whether the server stored its copy (POST /cam/calibration) is not checked here.
    # Firefox's fake camera shows its own test picture, no board: nothing to calibrate.
    assert not events(result, "error")
    if engine == "chromium":
        assert page["calibration"]


def _ring_distance_px(h1: list[float], h2: list[float]) -> float:
    """Largest distance (px) between the images of the double ring under two homographies."""
    angles = np.radians(np.arange(0, 360, 10))
    ring = np.column_stack([170 * np.cos(angles), 170 * np.sin(angles), np.ones(len(angles))])
    a, b = (ring @ np.array(h).reshape(3, 3).T for h in (h1, h2))
    return float(np.max(np.linalg.norm(a[:, :2] / a[:, 2:] - b[:, :2] / b[:, 2:], axis=1)))


def test_agent_calibrates_and_page_shows_it(clip: Path, tmp_path: Path) -> None:
    result = play("calibration", clip, tmp_path)
    calibrated = events(result, "calibrated")
    assert calibrated, "the agent never calibrated the board"
    shown = result["pages"]["calibrated"]["calibration"]
    # The page shows the agent's calibration, and it fits the board in the clip.
    assert any(np.allclose(shown["H"], e["H"]) for e in calibrated)
    assert shown["imageSize"] == {"w": 1280, "h": 720}
    assert _ring_distance_px(shown["H"], board_truth()) < 5.0
    assert result["calibration_text"].startswith("Board found (error ")


@pytest.mark.parametrize("engine", ENGINES)
def test_page_shows_a_calibration_sent_by_the_desktop(clip: Path, tmp_path: Path, engine: str) -> None:
    # The page's half of the calibration: the clip's true H arrives as the desktop's cam-calibration.
    result = play("calibration-display", clip, tmp_path, engine=engine)
    page = result["pages"]["calibrated"]
    assert page["calibration"]["H"] == board_truth()
    assert result["calibration_text"] == "Board found (error 0.4 px)"
    assert result["overlay_pixels"] > 1000  # the board's rings are drawn over the preview
    assert page["status"] == "streaming"
