#!/usr/bin/env python3
"""Benchmark of the real phone path: a headless browser (Chromium playing a board clip as its camera,
or Firefox ESR with its own test picture) opens the phone page and streams to the desktop agent, all
on loopback inside a fresh network namespace (the browser tests' runner, tests/browser). For 1280x720
and 1920x1080 at 30 fps, with VP8 and H.264, in each engine, it reports: time from page load to the
agent's first frame, from `peer-joined` to the first frame, the fps the agent received and the frame
sizes over the first 5 s, the agent's and the browser's CPU, the fps the page captured and sent (to
tell a slow phone from a slow agent) and the codec negotiated (Firefox has no H.264 here: VP8).
Next to our page it runs, at 720p, a stand-in for the deployed app's phone page
(tests/browser/standin: `payload: null`, never offers, answers the desktop's offer), which the agent
must offer to at once.

Goals: first frame <= 1.5 s after page load, full resolution from the first frame, 30 fps
sustained at 1080p; with the deployed page, first frame <= 0.5 s after `peer-joined`. Run as root (or
where `unshare -rn` works); nothing leaves the namespace."""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.clips import board_clip  # noqa: E402
from tests.browser.engines import ENGINES  # noqa: E402
from tests.browser.netns import ScenarioFailed, run_module  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
# The phone pages: ours (it offers), and the deployed page's stand-in (it waits for the agent's offer;
# it asks for 720p only).
PAGES = {"ours": "ws", "deployed": "deployed-page"}
WINDOW = 5.0


def measure(result: dict[str, Any], size: tuple[int, int]) -> dict[str, Any]:
    """The figures of one run."""
    frames = result["frames"]
    if result.get("error") or not frames:
        return {"error": result.get("error", "no frames")}
    first = frames[0]
    window = [f for f in frames if f["t"] < first["t"] + WINDOW]
    sizes = Counter(f"{f['w']}x{f['h']}" for f in window)
    full = sum(1 for f in window if (f["w"], f["h"]) == size)
    # The agent's first-frame event carries the time since the join; without it that figure is unknown.
    joined = next((e for e in result["events"] if e["event"] == "first-frame"), None)
    loaded_at = result["pages"].get("streaming", {}).get("loadedAt")
    intervals = [b["t"] - a["t"] for a, b in zip(window, window[1:], strict=False)]
    page_stats = result["pages"].get("end", {}).get("stats") or {}
    return {
        "load_to_first_frame_s": None if loaded_at is None else round(first["t"] - loaded_at / 1000.0, 3),
        "joined_to_first_frame_s": _seconds(joined["ms_since_join"] if joined else None),
        "fps_first_5s": round((len(window) - 1) / (window[-1]["t"] - first["t"]), 1),
        "fps_after_5s": _fps([f for f in frames if f["t"] >= first["t"] + WINDOW]),
        "frame_interval_p95_ms": round(1000 * _p95(intervals), 1) if intervals else None,
        "sizes_first_5s": dict(sizes),
        "full_res_from_first_frame": (first["w"], first["h"]) == size and full == len(window),
        "agent_cpu_percent": result.get("agent_cpu_percent"),
        "browser_cpu_percent": result.get("browser_cpu_percent"),
        "page_capture_fps": page_stats.get("captureFps"),
        "page_sent_fps": page_stats.get("fps"),
        "loadavg_1min": round(result.get("loadavg", [0])[0], 2),
        "negotiated": next((e["codec"] for e in result["events"] if e["event"] == "connected"), None),
        "sender_limitation": page_stats.get("limitation"),
        **_answering(result["pages"].get("end", {})),
    }


def _answering(page: dict[str, Any]) -> dict[str, Any]:
    """For the deployed page's stand-in: from its cam-joined to the agent's offer, from the offer to
    its answer, and when its camera was ready (after its cam-joined; negative: before)."""
    if "offerAt" not in page or "joinedAt" not in page:
        return {}
    joined = page["joinedAt"]
    return {
        "page_joined_to_offer_s": round((page["offerAt"] - joined) / 1000, 3),
        "page_offer_to_answer_s": round((page["answerAt"] - page["offerAt"]) / 1000, 3),
        "page_camera_after_join_s": round((page["cameraAt"] - joined) / 1000, 3),
    }


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000.0, 3)


def _fmt(value: float | None, width: int) -> str:
    return f"{value:{width}.2f}s" if value is not None else f"{'n/a':>{width}} "


def _fps(frames: list[dict[str, Any]]) -> float | None:
    if len(frames) < 2:
        return None
    return round((len(frames) - 1) / (frames[-1]["t"] - frames[0]["t"]), 1)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main(argv: list[str] | None = None) -> int:
    """Runs every configuration --runs times and prints a table (and --json)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    p.add_argument("--codecs", nargs="+", choices=["vp8", "h264"], default=["vp8", "h264"])
    p.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES))
    p.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    p.add_argument("--runs", type=int, default=1, help="runs per configuration")
    p.add_argument("--seconds", type=float, default=8.0, help="streaming time per run (>= 5)")
    p.add_argument("--work", type=Path, help="folder for clips, screenshots and logs (default: a temp one)")
    p.add_argument("--json", type=Path, help="also write every run's figures here")
    args = p.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="dartcam-bench-browser-"))
    rows: list[dict[str, Any]] = []
    for size_name in args.sizes:
        width, height = SIZES[size_name]
        # A slowly moving camera, so the encoder has real work, as with a hand-held phone.
        clip = board_clip(work / "clips", width, height, frames=30, moving=True)
        runs = itertools.product(args.pages, args.engines, args.codecs, range(args.runs))
        for page, engine, codec, run in runs:
            if page == "deployed" and size_name != "720p":
                continue
            out = work / f"{page}-{size_name}-{engine}-{codec}-{run}"
            scenario_args = [
                "--case",
                PAGES[page],
                "--engine",
                engine,
                "--clip",
                str(clip),
                "--out",
                str(out),
            ]
            scenario_args += ["--codec", codec, "--page-codec", codec, "--res", size_name]
            scenario_args += ["--seconds", str(max(args.seconds, WINDOW + 1))]
            row: dict[str, Any] = {
                "page": page,
                "size": size_name,
                "engine": engine,
                "codec": codec,
                "run": run,
            }
            try:
                result = run_module("tests.browser.scenario", scenario_args, timeout=240)
            except ScenarioFailed as exc:
                # One failed run is a row of the report, not the end of the benchmark.
                row["error"] = str(exc)
            else:
                row.update(measure(result, (width, height)))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    header = (
        "page      size   engine    codec  load->1st  joined->1st  fps(5s)  fps(after)  captured/sent"
        "  full-res  sizes(5s)  agent CPU  browser CPU  negotiated  load"
    )
    print(header)
    for r in rows:
        if "error" in r:
            first_line = (str(r["error"]).splitlines() or [""])[0]
            print(f"{r['page']:9} {r['size']:6} {r['engine']:9} {r['codec']:6} error: {first_line}")
            continue
        print(
            f"{r['page']:9} {r['size']:6} {r['engine']:9} {r['codec']:6} "
            f"{_fmt(r['load_to_first_frame_s'], 8)} "
            f"{_fmt(r['joined_to_first_frame_s'], 10)} "
            f"{r['fps_first_5s']:8} {r['fps_after_5s']!s:>10}  "
            f"{r['page_capture_fps']!s:>6}/{r['page_sent_fps']!s:<6}  {r['full_res_from_first_frame']!s:8} "
            f"{r['sizes_first_5s']}  {r['agent_cpu_percent']}%  {r['browser_cpu_percent']}%"
            f"  {r['negotiated']}  {r['loadavg_1min']}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(f"\nscreenshots and logs: {work}")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
