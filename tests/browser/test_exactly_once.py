"""*ext* Our phone page in real Chromium gets every message exactly once, in order, through a
half-open socket (tests.browser.half_open); and the deployed page's stand-in, which announces nothing
and never offers, gets the agent's offer at once (tests.browser.scenario, case deployed-page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.clips import board_clip
from tests.browser.netns import NetnsUnavailable, run_module
from tests.browser.test_phone_page import assert_streamed, events, play

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera: a board at an angle, 1280x720, 30 fps."""
    return board_clip(tmp_path_factory.mktemp("clips"))


def test_page_gets_every_message_once_in_order_through_a_half_open_socket(clip: Path, tmp_path: Path) -> None:
    try:
        result = run_module(
            "tests.browser.half_open", ["--clip", str(clip), "--out", str(tmp_path)], timeout=240
        )
    except NetnsUnavailable as exc:
        pytest.fail(f"no loopback-only network namespace, so no real-browser test: {exc}")
    assert not result.get("error"), (
        f"{result['error']}\npages: {result.get('pages')}\nconsole: {result.get('console')}\n"
        f"screenshots and logs: {tmp_path}\n{result.get('traceback')}"
    )
    assert result["received_while_frozen"] == []  # the freeze really held them back
    assert result["numbers"] == list(range(1, result["total"] + 1))
    end = result["pages"]["end"]
    assert end["resumes"] >= 1 and end["transport"] == "ws"
    assert result["desktop_errors"] == []  # every message was taken by the server


def test_the_deployed_page_gets_the_agents_offer_at_once(clip: Path, tmp_path: Path) -> None:
    # The scenario gives the agent --offer-grace 60: a frame at all means it offered at once.
    result = play("deployed-page", clip, tmp_path)
    assert_streamed(result)
    page = result["pages"]["end"]
    assert page["status"] == "streaming" and (page["offers"], page["answers"]) == (0, 1)
    (first,) = events(result, "first-frame")
    assert first["ms_since_join"] < 30_000
    assert result["messages"]["cam-offer"] == 1 and result["messages"]["cam-answer"] == 1
