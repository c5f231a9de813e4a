"""Rendered visits (scripts/render_visit.py): the truth lists the throws and the takeout in order where the
frames show them, still frames differ by fresh noise only, hands and bouncers leave the board as it was, a
knocking dart turns an earlier one about its point, the clip round-trips through y4m and JSON, and the
same plan renders the same frames."""

from __future__ import annotations

import json
from dataclasses import asdict

import cv2
import numpy as np
import pytest

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import project
from tests.renderer import load_script

rv = load_script("render_visit")
Dart = load_script("render_darts").Dart
y4m_io = load_script("y4m_io")
SIZE = (640, 360)


def _plan(**kw):
    base = load_script("render_board").RenderParams(
        seed=11, width=SIZE[0], height=SIZE[1], tilt_deg=30, tilt_azimuth_deg=40, roll_deg=140, fill=0.8,
        noise_sigma=1.0, jpeg_quality=85,
    )  # fmt: skip
    darts = (Dart((0.0, -103.0), azimuth_deg=10), Dart((0.0, 0.0), azimuth_deg=-20), Dart((0.0, 166.0)))
    return rv.VisitPlan(base, fps=15, darts=darts, **kw)


@pytest.fixture(scope="module")
def clip():
    return rv.render_visit(_plan())


def _diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b|, largest channel, smoothed over a few px (noise averages out, a dart does not)."""
    d = np.abs(a.astype(np.float32) - b.astype(np.float32)).max(axis=2)
    return cv2.GaussianBlur(d, (0, 0), 3)


def _near(d: np.ndarray, px: tuple[float, float], r: int = 6) -> float:
    x, y = round(px[0]), round(px[1])
    return float(d[y - r : y + r + 1, x - r : x + r + 1].max())


def test_truth_lists_three_throws_then_the_takeout(clip):
    kinds = [e.kind for e in clip.truth]
    assert kinds == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    frames = [e.frame for e in clip.truth]
    assert frames == sorted(frames) and len(set(frames)) == len(frames) and frames[-1] < len(clip.frames)
    throws = clip.truth[:3]
    assert [e.dart for e in throws] == [1, 2, 3]
    assert [e.label for e in throws] == ["T20", "50", "D3"]
    assert all(e.start_frame < e.frame for e in throws)
    for e in throws:
        assert np.allclose(project(clip.h, np.array([e.tip_mm]))[0], e.tip_px, atol=1e-6)
    assert clip.frames[0].shape == (SIZE[1], SIZE[0], 3) and clip.frames[0].dtype == np.uint8


def test_still_frames_differ_by_noise_and_a_dart_at_its_tip(clip):
    first = clip.truth[0]
    a, b = clip.frames[first.start_frame - 2], clip.frames[first.start_frame - 1]
    noise = np.abs(a.astype(int) - b.astype(int))
    assert 0.5 < noise.mean() < 4.0  # fresh noise every frame, nothing else
    assert _diff(a, b).max() < 12
    for e in clip.truth[:3]:
        before, rest = clip.frames[e.start_frame - 1], clip.frames[e.frame]
        d = _diff(before, rest)
        assert _near(d, e.tip_px) > 25, e
        # Away from the new dart (and its shadow) only noise changed.
        far = d.copy()
        x, y = round(e.tip_px[0]), round(e.tip_px[1])
        far[max(0, y - 120) : y + 120, max(0, x - 120) : x + 120] = 0
        assert far.max() < 12, e
    flying = clip.frames[first.start_frame + 1]
    assert _diff(a, flying).max() > 25  # the dart in the air shows


def test_takeout_leaves_the_board_as_it_started(clip):
    started, finished = clip.truth[3], clip.truth[4]
    assert _diff(clip.frames[0], clip.frames[finished.frame]).max() < 12
    during = clip.frames[(started.frame + finished.frame) // 2]
    assert _diff(clip.frames[0], during).max() > 60  # the hand is in view


def test_hand_clip_has_no_throw_and_ends_as_it_began():
    plan = rv.hand_clip(5, 4.0, *SIZE, fps=15)
    clip = rv.render_visit(plan)
    assert len(clip.frames) == 60
    assert {e.kind for e in clip.truth} == {"hand"}
    assert _diff(clip.frames[0], clip.frames[-1]).max() < 12
    hand = clip.truth[0]
    assert _diff(clip.frames[0], clip.frames[(hand.start_frame + hand.frame) // 2]).max() > 60


def test_bouncer_falls_out_and_leaves_the_board_unchanged():
    plan = _plan(takeout=False)
    plan = rv.VisitPlan(plan.base, fps=15, darts=(rv.Bouncer(plan.darts[0]),), takeout=False)
    clip = rv.render_visit(plan)
    (bounce,) = clip.truth
    assert bounce.kind == "bouncer" and bounce.dart == 1 and bounce.label == "MISS"
    before, after = clip.frames[bounce.start_frame - 1], clip.frames[bounce.frame]
    assert _diff(before, after).max() < 12
    hit = max(
        _near(_diff(before, clip.frames[k]), bounce.tip_px) for k in range(bounce.start_frame, bounce.frame)
    )
    assert hit > 25  # it did reach the board


def test_a_knocking_dart_turns_the_earlier_dart_about_its_point():
    plan = _plan(takeout=False)
    first = plan.darts[0]
    knocks = rv.Knocks(Dart((20.0, -110.0)), earlier=1, tilt_deg=35.0, azimuth_deg=-40.0)
    clip = rv.render_visit(rv.VisitPlan(plan.base, fps=15, darts=(first, knocks), takeout=False))
    plain = rv.render_visit(rv.VisitPlan(plan.base, fps=15, darts=(first, knocks.dart), takeout=False))
    hit, second = clip.truth
    assert (hit.kind, second.kind, second.dart, second.tip_mm) == ("throw", "throw", 2, (20.0, -110.0))
    assert clip.truth == plain.truth
    k = second.start_frame - 1
    assert np.array_equal(clip.frames[k], plain.frames[k])
    # Once the second dart is in, the earlier dart stands at another angle; its point has not moved.
    moved = _diff(clip.frames[second.frame], plain.frames[second.frame])
    assert moved.max() > 40 and _near(moved, hit.tip_px, 1) < 0.25 * moved.max()
    with pytest.raises(ValueError, match="not in the board"):
        rv.render_visit(rv.VisitPlan(plan.base, darts=(knocks,)))
    with pytest.raises(ValueError, match="knocked twice"):
        rv.render_visit(rv.VisitPlan(plan.base, darts=(first, knocks, knocks)))


def test_clip_round_trips_through_y4m_and_json(clip, tmp_path):
    y4m, meta = rv.write_clip(clip, tmp_path / "visit")
    assert (y4m.name, meta.name) == ("visit.y4m", "visit.json")
    frames = list(y4m_io.read_frames(y4m))
    assert len(frames) == len(clip.frames) and frames[0].shape == (SIZE[1], SIZE[0], 3)
    k = clip.truth[0].frame
    assert np.abs(frames[k].astype(int) - clip.frames[k].astype(int)).mean() < 4  # 4:2:0 chroma only
    truth = json.loads(meta.read_text())
    assert (truth["width"], truth["height"], truth["fps"], truth["frames"]) == (*SIZE, 15, len(clip.frames))
    assert np.allclose(np.reshape(truth["H"], (3, 3)), clip.h)
    assert truth["events"] == json.loads(json.dumps([asdict(e) for e in clip.truth]))


def test_same_plan_same_frames(clip):
    again = rv.render_visit(_plan())
    assert again.truth == clip.truth
    for k in (
        0,
        clip.truth[0].start_frame + 1,
        clip.truth[1].frame,
        clip.truth[3].frame + 3,
        len(clip.frames) - 1,
    ):
        assert np.array_equal(again.frames[k], clip.frames[k]), k
    assert not np.array_equal(clip.frames[0], clip.frames[1])


def test_random_visits_span_the_benchmark_cameras():
    plans = [rv.random_visit(seed) for seed in range(40)]
    tilts = [p.base.tilt_deg for p in plans]
    rolls = [p.base.roll_deg for p in plans]
    fills = [p.base.fill for p in plans]
    assert 0 <= min(tilts) < 10 and 50 < max(tilts) <= 60
    assert min(rolls) < 45 and max(rolls) > 315 and all(0 <= r < 360 for r in rolls)
    assert all(0.5 <= f <= 0.9 for f in fills)
    assert all(len(p.darts) == 3 and p.takeout and p.base.lens_k == 0 for p in plans)
    assert isinstance(rv.random_visit(3, bouncer=True).darts[1], rv.Bouncer)
    knocks = rv.random_visit(3, knocks=True).darts[1]
    assert isinstance(knocks, rv.Knocks) and knocks.earlier == 1
    assert 10 <= np.hypot(*np.subtract(knocks.dart.tip, plans[3].darts[0].tip)) <= 25
    assert len({p.darts[0].tip for p in plans}) == 40


def test_a_thrown_dart_sticks_beside_a_wire_not_in_it():
    rd = load_script("render_darts")
    edge = board.WIRE_WIDTH_MM / 2 + rd.POINT_RADIUS_MM  # the point's steel clear of the wire's
    on_wire = board.polar_to_board(60, 9 + 0.1)  # 0.1 mm clockwise of the 20/1 wire's centre line
    moved = rd.beside_wires(tuple(on_wire))
    d, _ = board.nearest_wire(moved)
    assert edge <= d <= edge + 0.1  # to the wire's edge, on the side it came down on
    assert np.hypot(*np.subtract(moved, on_wire)) < edge
    crossing = board.polar_to_board(board.R_TREBLE_OUTER, 9)  # where a ring wire crosses a radial one
    assert abs(board.nearest_wire(rd.beside_wires(tuple(crossing)))[0]) >= edge
    clear = tuple(float(v) for v in board.polar_to_board(60, 18))  # the middle of the 1's single
    assert rd.beside_wires(clear) == clear
    tips = [d.tip for seed in range(200) for d in rv.random_visit(seed).darts]
    tips.append(rv.random_visit(3, knocks=True).darts[1].dart.tip)
    assert min(abs(board.nearest_wire(t)[0]) for t in tips) >= edge


def test_cli_writes_a_hand_clip(tmp_path, capsys):
    assert rv.main([str(tmp_path / "hands"), "--hands-only", "4", "--fps", "10", "--size", "320x240"]) == 0
    truth = json.loads((tmp_path / "hands.json").read_text())
    assert truth["frames"] == 40 and {e["kind"] for e in truth["events"]} == {"hand"}
    assert len(list(y4m_io.read_frames(tmp_path / "hands.y4m"))) == 40
    assert "hands.y4m" in capsys.readouterr().out
