"""The visit state machine, the throws it scores and the three wire formats, without a server."""

from __future__ import annotations

import json
import random

import pytest

from desktop_receiver.calibration.scoring import BEDS
from desktop_receiver.scoring import Phase, Ring, ScoreKeeper, Visit, VisitError, score_point, wire
from desktop_receiver.scoring.stream import QUEUE_LIMIT


def test_a_visit_takes_three_darts_then_only_a_takeout():
    visit = Visit()
    for _ in range(3):
        visit.throw((0.0, -103.0))
    assert visit.phase is Phase.TAKEOUT
    with pytest.raises(VisitError, match="no dart is expected"):
        visit.throw((0.0, 0.0))
    assert len(visit.throws) == 3
    visit.takeout_started()
    with pytest.raises(VisitError):
        visit.throw((0.0, 0.0))
    visit.takeout_finished()
    assert (visit.phase, visit.throws) == (Phase.THROW, [])
    assert visit.throw((0.0, 0.0)).throw.dart == 1


def test_the_visit_never_holds_more_than_three_darts_whatever_comes():
    rng = random.Random(13)
    visit = Visit()
    ops = ["throw"] * 6 + ["takeout_started", "takeout_finished", "reset", "pause", "resume", "stop", "start"]
    for _ in range(3000):
        op = rng.choice(ops)
        try:
            if op == "throw":
                visit.throw((rng.uniform(-200, 200), rng.uniform(-200, 200)))
            elif op == "pause":
                visit.pause("test")
            else:
                getattr(visit, op)()
        except VisitError:
            pass
        assert len(visit.throws) <= 3
        assert [t.dart for t in visit.throws] == list(range(1, len(visit.throws) + 1))


def test_no_dart_while_paused_or_stopped_and_a_takeout_must_start_first():
    visit = Visit()
    visit.pause("calibration lost")
    with pytest.raises(VisitError, match="paused"):
        visit.throw((0.0, 0.0))
    visit.resume()
    visit.stop()
    with pytest.raises(VisitError, match="stopped"):
        visit.throw((0.0, 0.0))
    with pytest.raises(VisitError, match="no takeout"):
        visit.takeout_finished()


def test_a_corrected_dart_keeps_its_place_and_gets_a_new_id():
    visit = Visit()
    first = visit.throw((0.0, -103.0)).throw
    visit.throw((0.0, 0.0))
    event = visit.correct(1, (0.0, -166.0))
    assert event.replaced == first
    assert (event.throw.segment, event.throw.dart, len(visit.throws)) == ("D20", 1, 2)
    assert event.throw.id != first.id
    with pytest.raises(VisitError, match="no dart 3"):
        visit.correct(3, (0.0, 0.0))


@pytest.mark.parametrize(
    ("point", "segment", "points", "number", "multiplier", "ring"),
    [
        ((0.0, -103.0), "T20", 60, 20, 3, Ring.TRIPLE),
        ((0.0, -60.0), "S20", 20, 20, 1, Ring.SINGLE_INNER),
        ((0.0, -130.0), "S20", 20, 20, 1, Ring.SINGLE_OUTER),
        ((166.0, 0.0), "D6", 12, 6, 2, Ring.DOUBLE),
        ((0.0, 3.0), "50", 50, 25, 2, Ring.INNER_BULL),
        ((10.0, 0.0), "25", 25, 25, 1, Ring.OUTER_BULL),
        ((0.0, 190.0), "MISS", 0, 3, 0, Ring.OUTSIDE),
        (None, "MISS", 0, 0, 0, Ring.BOUNCER),
    ],
)
def test_throws_are_scored_by_the_calibration_s_scoring(point, segment, points, number, multiplier, ring):
    throw = score_point(point, dart=1)
    assert (throw.segment, throw.points, throw.number, throw.multiplier, throw.ring) == (
        segment,
        points,
        number,
        multiplier,
        ring,
    )
    assert throw.bouncer is (point is None)


def test_bad_throw_values_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        score_point((0.0, 0.0), dart=1, confidence=1.5)
    with pytest.raises(ValueError, match="dart must be"):
        score_point((0.0, 0.0), dart=4)


def test_board_manager_segments_and_coords():
    beds = {
        (0.0, -60.0): {"name": "S20", "number": 20, "bed": "SingleInner", "multiplier": 1},
        (0.0, -130.0): {"name": "S20", "number": 20, "bed": "SingleOuter", "multiplier": 1},
        (10.0, 0.0): {"name": "25", "number": 25, "bed": "Single", "multiplier": 1},
        (0.0, 0.0): {"name": "Bull", "number": 25, "bed": "Double", "multiplier": 2},
        (0.0, 190.0): {"name": "M3", "number": 3, "bed": "Outside", "multiplier": 0},
    }
    for point, segment in beds.items():
        assert wire.board_throw(score_point(point, dart=1))["segment"] == segment
    # x right, y up towards the 20, in units of 170 mm; a -0.0 never reaches the wire.
    assert wire.board_throw(score_point((17.0, 85.0), dart=1))["coords"] == {"x": 0.1, "y": -0.5}
    assert json.dumps(wire.board_coords((0.0, 0.0))) == '{"x": 0.0, "y": 0.0}'
    assert wire.board_throw(score_point(None, dart=2)) == {
        "segment": {"name": "Miss", "number": 0, "bed": "Outside", "multiplier": 0},
        "bouncer": True,
    }


def test_every_change_reaches_the_stream_and_the_agent_s_events():
    emitted = []
    keeper = ScoreKeeper(emitted.append)
    sub = keeper.stream.subscribe()
    keeper.throw((0.0, -103.0))
    keeper.follow_calibration(False)
    keeper.follow_calibration(False)  # already paused: no second event
    keeper.follow_calibration(True)
    names = [e.name for e in emitted]
    assert names == ["throw", "scoring-paused", "scoring-resumed"]
    items = [sub.queue.get_nowait() for _ in range(3)]
    assert [i.event for i in items] == emitted
    assert items[1].state.paused and not items[2].state.paused
    assert json.loads(emitted[0].to_json())["throw"]["segment"] == "T20"
    sub.close()
    keeper.reset()
    assert sub.queue.get_nowait() is None  # closed: nothing more arrives


def test_a_reader_that_stops_reading_is_dropped_and_the_others_go_on():
    keeper = ScoreKeeper()
    stuck, reading = keeper.stream.subscribe(), keeper.stream.subscribe()
    for _ in range(QUEUE_LIMIT + 1):
        keeper.reset()
        assert reading.queue.get_nowait().event.name == "manual-reset"
    assert stuck.queue.qsize() == QUEUE_LIMIT
    keeper.throw((0.0, 0.0))
    assert stuck.queue.qsize() == QUEUE_LIMIT  # dropped: nothing more is queued for it
    assert reading.queue.get_nowait().event.name == "throw"


def test_every_bed_of_the_scoring_map_is_a_ring():
    # The scoring map (calibration/scoring.py) is the one place that knows the beds; Ring adds a bouncer.
    assert {ring.value for ring in Ring} == {*BEDS, Ring.BOUNCER.value}
