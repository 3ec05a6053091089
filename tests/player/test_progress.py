from __future__ import annotations

from clova_client.player.progress import Crossing, PositionSample, ProgressPlanner, ReportKind
from clova_client.protocol.audioplayer import ProgressReport

DELAY, INTERVAL, POSITION = ReportKind.DELAY, ReportKind.INTERVAL, ReportKind.POSITION


def report(
    delay: int | None = None, interval: int | None = None, position: int | None = None
) -> ProgressReport:
    return ProgressReport(
        progress_report_delay_in_milliseconds=delay,
        progress_report_interval_in_milliseconds=interval,
        progress_report_position_in_milliseconds=position,
    )


def walk(planner: ProgressPlanner, positions: range | list[int]) -> list[Crossing]:
    out: list[Crossing] = []
    for position in positions:
        out += planner.passed(position)
    return out


def test_delay_interval_and_position_fire_once_at_their_crossings() -> None:
    planner = ProgressPlanner(report(delay=3000, interval=2000, position=5000), start_ms=0)
    crossed = walk(planner, range(0, 7001, 250))
    assert crossed == [
        Crossing(INTERVAL, 2000),
        Crossing(DELAY, 3000),
        Crossing(INTERVAL, 4000),
        Crossing(POSITION, 5000),
        Crossing(INTERVAL, 6000),
    ]


def test_delay_is_skipped_when_playback_begins_at_or_past_it() -> None:
    assert walk(ProgressPlanner(report(delay=3000), 3000), range(3000, 9000, 250)) == []
    assert walk(ProgressPlanner(report(delay=3000), 5000), range(5000, 9000, 250)) == []
    # not even after a seek back before the delay
    planner = ProgressPlanner(report(delay=3000, position=4000), 5000)
    planner.jump(0)
    assert walk(planner, range(0, 6000, 250)) == []


def test_interval_counts_whole_multiples_from_the_start_of_the_media() -> None:
    planner = ProgressPlanner(report(interval=60000), start_ms=419704)
    assert planner.next_target() == 420000
    assert walk(planner, [419704, 420100, 480000, 539999]) == [
        Crossing(INTERVAL, 420000),
        Crossing(INTERVAL, 480000),
    ]


def test_seek_back_repeats_nothing() -> None:
    planner = ProgressPlanner(report(delay=1000, interval=2000, position=3000), 0)
    first = walk(planner, range(0, 4501, 500))
    assert [c.kind for c in first] == [DELAY, INTERVAL, POSITION, INTERVAL]
    planner.jump(500)
    assert walk(planner, range(500, 4501, 500)) == []
    assert walk(planner, [5000, 6000]) == [Crossing(INTERVAL, 6000)]


def test_seek_forward_skips_what_was_not_played() -> None:
    planner = ProgressPlanner(report(delay=1000, interval=2000, position=3000), 0)
    planner.jump(7000)
    assert planner.next_target() == 8000
    assert walk(planner, [7500, 8100]) == [Crossing(INTERVAL, 8000)]


def test_a_position_going_back_by_itself_counts_as_a_seek() -> None:
    planner = ProgressPlanner(report(interval=1000), 0)
    assert walk(planner, [1200]) == [Crossing(INTERVAL, 1000)]
    assert walk(planner, [300, 1300]) == []
    assert walk(planner, [2100]) == [Crossing(INTERVAL, 2000)]


def test_zero_and_null_turn_reports_off() -> None:
    planner = ProgressPlanner(report(delay=0, interval=0, position=None), 0)
    assert planner.next_target() is None
    assert walk(planner, range(0, 10000, 100)) == []
    assert ProgressPlanner(None, 0).next_target() is None


def test_next_target_is_the_nearest_pending_one() -> None:
    planner = ProgressPlanner(report(delay=2500, interval=1000, position=1800), 0)
    assert planner.next_target() == 1000
    planner.passed(1100)
    assert planner.next_target() == 1800
    planner.passed(1900)
    assert planner.next_target() == 2000
    planner.passed(2100)
    assert planner.next_target() == 2500


def test_position_sample_interpolates_up_to_a_limit() -> None:
    sample = PositionSample(1000, at=10.0, running=True)
    assert sample.at_time(10.2, limit_ms=1500) == 1200
    assert sample.at_time(20.0, limit_ms=1500) == 2500
    assert sample.at_time(9.0, limit_ms=1500) == 1000
    assert PositionSample(1000, at=10.0).at_time(12.0, limit_ms=1500) == 1000


def test_crossing_time_is_predicted_only_within_the_limit() -> None:
    sample = PositionSample(1000, at=10.0, running=True)
    assert sample.crossing_time(1300, limit_ms=1500) == 10.3
    assert sample.crossing_time(900, limit_ms=1500) == 10.0
    assert sample.crossing_time(2600, limit_ms=1500) is None
    assert PositionSample(1000, at=10.0).crossing_time(1300, limit_ms=1500) is None
