"""The throw detection over rendered clips: a visit gives three throws at the right frames and scores and a
takeout; hands passing give nothing; a bouncer is no throw; a dart that falls out scores nothing and is
no new throw (nor a takeout); a dart that knocks an earlier one is a throw; the detector waits while the
calibration is lost and takes a new reference when the camera moved."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from desktop_receiver.scoring.detect.analysis import KNOCK_CONFIDENCE, KNOCK_MM
from desktop_receiver.scoring.detect.detector import STILL_FRAMES, ThrowDetector
from tests.scoring.visits import DARTS, LABELS, camera, detect, render_visit, visit


@pytest.fixture(scope="module")
def clip():
    return render_visit.render_visit(visit())


def test_a_visit_gives_three_scored_throws_then_the_takeout(clip):
    run = detect(clip)
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    throws = run.throws()
    assert [t.segment for t in throws] == LABELS
    assert [t.dart for t in throws] == [1, 2, 3]
    rests = [e.frame for e in clip.truth if e.kind == "throw"]
    for throw, rest, dart in zip(throws, rests, DARTS, strict=True):
        # Found in the still frames right after the dart came to rest.
        assert rest <= throw.frames[0] and throw.frames[-1] <= rest + 2 * STILL_FRAMES
        assert np.hypot(*np.subtract(throw.board_mm, dart.tip)) < 6.0
        assert 0.0 < throw.confidence <= 1.0 and throw.image_px is not None


def test_hands_passing_make_no_throw():
    clip = render_visit.render_visit(replace(render_visit.hand_clip(3, 8.0, 960, 540, fps=15), base=camera()))
    run = detect(clip)
    assert run.throws() == [], run.observations
    assert "takeout-started" not in run.names()


def test_a_bouncer_is_no_throw():
    plan = visit(darts=(DARTS[0], render_visit.Bouncer(DARTS[1]), DARTS[2]), takeout=False)
    run = detect(render_visit.render_visit(plan))
    assert [t.segment for t in run.throws()] == [LABELS[0], LABELS[2]]


@pytest.mark.parametrize("fallen", [0, 1])
def test_a_dart_that_falls_out_scores_nothing(fallen):
    # The first dart falls out of an otherwise empty board (no hand: no takeout), or the second one
    # falls out beside the first (its change looks like a dart's, but the empty board shows again).
    darts = list(DARTS)
    darts[fallen] = render_visit.FallsOut(DARTS[fallen])
    run = detect(render_visit.render_visit(visit(darts=tuple(darts))))
    names = ["throw"] * (fallen + 1) + ["dart-corrected"] + ["throw"] * (2 - fallen)
    assert run.names() == [*names, "takeout-started", "takeout-finished"]
    assert [t.segment for t in run.throws()] == LABELS
    corrected = next(e for e in run.events if e.name == "dart-corrected")
    assert (corrected.replaced.segment, corrected.throw.segment) == (LABELS[fallen], "MISS")
    assert corrected.throw.dart == fallen + 1


def test_a_dart_that_knocks_an_earlier_one_is_still_a_throw():
    # Seeded benchmark visit 5 (1280x720, steep view): the second dart lands by the first and turns it.
    # Their change together is no single dart's streak; before, the dart was taken for some other change,
    # and then a dart seen as the takeout began was scored in its place.
    clip = render_visit.render_visit(render_visit.random_visit(5, knocks=True))
    run = detect(clip)
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    throws = run.throws()
    assert [t.segment for t in throws] == [e.label for e in clip.truth if e.kind == "throw"]
    assert throws[1].confidence == KNOCK_CONFIDENCE  # found beside a knocked dart: to be confirmed


def test_a_first_dart_seen_end_on_is_a_throw_not_a_fall_out():
    # Seeded benchmark visit 136 (nearly face-on): the first dart covers so little of the board plane that
    # the board still looked empty, and with no hand about, the dart was taken for one that fell out.
    clip = render_visit.render_visit(render_visit.random_visit(136))
    assert clip.plan.base.tilt_deg < 5
    run = detect(clip)
    assert run.observations[0].kind == "dart"
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    assert run.throws()[0].segment == next(e.label for e in clip.truth if e.kind == "throw")


def test_a_dart_that_changes_little_of_the_board_plane_is_a_throw_not_a_fall_out():
    # Seeded benchmark visit 1152 (59 degrees): the first two darts (one dark on a dark bed, one white and
    # dark at the double) change under 120 mm² of the detector's coarse picture of the board plane, so
    # the board still looked empty. The second dart was taken for the first one falling out, though its
    # change lies far from that dart's point; and the empty board's picture, refreshed with both darts
    # in, no longer matched the board that the takeout had emptied: no takeout.
    clip = render_visit.render_visit(render_visit.random_visit(1152))
    assert clip.plan.base.tilt_deg > 55
    run = detect(clip)
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    assert [t.segment for t in run.throws()] == [e.label for e in clip.truth if e.kind == "throw"]


def test_a_dark_dart_seen_along_its_axis_is_a_throw():
    # Seeded benchmark visit 253 (7 degrees): the first dart, a black flight face-on over a black bed,
    # changes a streak of 9 mm only, shorter than a dart seen at an angle; it was taken for some other
    # change, and its takeout for a fourth dart.
    clip = render_visit.render_visit(render_visit.random_visit(253))
    assert clip.plan.base.tilt_deg < 10
    run = detect(clip)
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    assert [t.segment for t in run.throws()] == [e.label for e in clip.truth if e.kind == "throw"]


def test_a_flickering_light_does_not_hold_a_throw_back():
    # Seeded benchmark visit 147: the light flickers (about 1 % per frame) and the sensor is noisy. Each
    # flicker looked like the encoder still sharpening the picture, and the first dart was reported 22
    # frames (0.7 s) after it came to rest.
    clip = render_visit.render_visit(render_visit.random_visit(147))
    assert clip.plan.flicker > 0.005
    run = detect(clip)
    rests = [e.frame for e in clip.truth if e.kind == "throw"]
    darts = [o for o in run.observations if o.kind == "dart"]
    assert len(darts) == 3
    assert all(o.frames[-1] - rest <= STILL_FRAMES + 1 for o, rest in zip(darts, rests, strict=True))


def test_a_tip_a_little_past_the_darts_middle_is_not_taken_for_its_flight():
    # Seeded benchmark visit 85 (34 degrees): the first dart's tip lies a little past the middle of its
    # changed pixels towards the flight, as the flight's wings spread about the barrel. The pose rule for
    # tips at the flight's end (analysis.FLIGHT_SIDE) moved it some 50 mm to the streak's front.
    clip = render_visit.render_visit(render_visit.random_visit(85))
    run = detect(clip)
    truth = next(e for e in clip.truth if e.kind == "throw")
    first = run.throws()[0]
    assert first.segment == truth.label
    assert np.hypot(first.board_mm[0] - truth.tip_mm[0], first.board_mm[1] - truth.tip_mm[1]) < 1.5


def test_a_dart_that_lands_beside_an_earlier_one_is_scored_where_it_is():
    # Seeded benchmark visit 101: the third dart lands 4 mm from the second. A new dart at an earlier
    # one's point may be that dart knocked, so another dart is sought in the change; before, a speck of
    # noise 180 mm away was taken for it. With no other whole dart there, the dart is the one beside.
    clip = render_visit.render_visit(render_visit.random_visit(101))
    run = detect(clip)
    truth = [e for e in clip.truth if e.kind == "throw"]
    assert np.hypot(*np.subtract(truth[1].tip_mm, truth[2].tip_mm)) < KNOCK_MM
    assert run.names() == ["throw", "throw", "throw", "takeout-started", "takeout-finished"]
    throws = run.throws()
    assert [t.segment for t in throws] == [e.label for e in truth]
    assert throws[2].confidence <= KNOCK_CONFIDENCE  # a dart at an earlier one's point: to be confirmed


def test_nothing_is_seen_without_a_calibration_and_a_moved_camera_takes_a_new_reference(clip):
    frames = list(clip.frames)
    run = detect(clip)
    detector = ThrowDetector()
    assert all(detector.feed(f, i, None) == [] for i, f in enumerate(frames[:20]))
    assert not detector.settled
    # The board 3 px further right: the reference is taken again, and no throw comes of the move.
    h = run.calibration.H
    moved = replace(run.calibration, H=np.array([[1, 0, 3.0], [0, 1, 0], [0, 0, 1]]) @ h)
    moved = replace(moved, H_inv=np.linalg.inv(moved.H))
    first_rest = next(e.frame for e in clip.truth if e.kind == "throw")
    seen = []
    for i, f in enumerate(frames[: first_rest - 10]):
        seen += detector.feed(f, i, run.calibration if i < 10 else moved)
    assert seen == [] and detector.settled
