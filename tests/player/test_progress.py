from __future__ import annotations

from clova_client.player.progress import (
    Crossing,
    PositionSample,
    ProgressPlan,
    ProgressPlanner,
    ReportKind,
)

DELAY, INTERVAL, POSITION = ReportKind.DELAY, ReportKind.INTERVAL, ReportKind.POSITION


def report(
    delay: int | None = None, interval: int | None = None, position: int | None = None
) -> ProgressPlan:
    return ProgressPlan(delay, interval, position)


def walk(planner: ProgressPlanner, positions: range | list[int]) -> list[Crossing]:
    out: list[Crossing] = []
    for position in positions:
        out += planner.passed(position)
    return out


def test_from_offset_zero_the_reports_coincide_with_media_offsets() -> None:
    planner = ProgressPlanner(report(delay=3000, interval=2000, position=5000), start_ms=0)
    crossed = walk(planner, range(0, 7001, 250))
    assert crossed == [
        Crossing(INTERVAL, 2000),
        Crossing(DELAY, 3000),
        Crossing(INTERVAL, 4000),
        Crossing(POSITION, 5000),
        Crossing(INTERVAL, 6000),
    ]


def test_the_guides_podcast_reports_each_minute_of_playback_from_its_begin() -> None:
    """Handle_Audio_Playback.md: beginAtInMilliseconds 419704, interval 60000."""
    planner = ProgressPlanner(report(interval=60000), start_ms=419704)
    assert planner.next_target() == 479704
    assert walk(planner, [420004, 479703]) == []  # not 0.3 s after the start (the AVS rule)
    assert walk(planner, [479704, 539703, 539704, 599000]) == [
        Crossing(INTERVAL, 479704),
        Crossing(INTERVAL, 539704),
    ]


def test_begin_3500_delay_1000_interval_2000_counts_playback_from_the_begin() -> None:
    """The issue's measurement: the AVS rule gave no Delay and Intervals at 4000, 6000, ..."""
    planner = ProgressPlanner(report(delay=1000, interval=2000), start_ms=3500)
    assert walk(planner, range(3500, 12001, 250)) == [
        Crossing(DELAY, 4500),
        Crossing(INTERVAL, 5500),
        Crossing(INTERVAL, 7500),
        Crossing(INTERVAL, 9500),
        Crossing(INTERVAL, 11500),
    ]


def test_a_position_that_does_not_advance_counts_no_playback() -> None:
    planner = ProgressPlanner(report(delay=1000, interval=2000), start_ms=3500)
    assert walk(planner, [4000, 4000, 4000]) == []  # paused: the media time stands still
    assert planner.played_ms == 500
    assert walk(planner, [4499, 4500]) == [Crossing(DELAY, 4500)]


def test_a_seek_forward_neither_adds_nor_removes_playback() -> None:
    planner = ProgressPlanner(report(delay=3000, interval=2000, position=20000), 0)
    assert walk(planner, [1500]) == []
    assert planner.jump(10000) == []
    assert planner.played_ms == 1500
    assert planner.next_target() == 10500  # 2000 ms of playback
    assert walk(planner, [10400, 10600, 11600]) == [
        Crossing(INTERVAL, 10500),
        Crossing(DELAY, 11500),
    ]


def test_a_seek_back_neither_adds_nor_removes_playback() -> None:
    planner = ProgressPlanner(report(delay=3000, interval=2000), 0)
    assert walk(planner, [2500]) == [Crossing(INTERVAL, 2000)]
    assert planner.jump(500) == []
    assert planner.played_ms == 2500
    # Delay at 3000 ms of playback, the 2nd Interval at 4000: media 1000 and 2000 now
    assert walk(planner, range(750, 2501, 250)) == [Crossing(DELAY, 1000), Crossing(INTERVAL, 2000)]
    assert walk(planner, [4000]) == [Crossing(INTERVAL, 4000)]  # 6000 ms of playback


def test_a_seek_past_the_position_reports_it_at_once_with_the_point_as_offset() -> None:
    planner = ProgressPlanner(report(position=5000), 0)
    assert walk(planner, [2000]) == []
    assert planner.jump(6000) == [Crossing(POSITION, 5000)]
    assert walk(planner, [8000]) == []
    assert planner.jump(9000) == []  # already past it: nothing to report
    assert planner.jump(5000) == []  # back to the point, not before it
    assert planner.jump(4000) == []  # before it: re-armed
    assert planner.next_target() == 5000
    assert walk(planner, [4900, 5100]) == [Crossing(POSITION, 5000)]
    assert planner.jump(1000) == []
    assert planner.jump(5000) == [Crossing(POSITION, 5000)]  # a seek onto the point passes it


def test_a_seek_back_before_the_position_reports_it_again_when_passed() -> None:
    planner = ProgressPlanner(report(position=3000), 0)
    assert walk(planner, [2800, 3200]) == [Crossing(POSITION, 3000)]
    assert planner.jump(1000) == []
    assert walk(planner, [2900, 3100]) == [Crossing(POSITION, 3000)]


def test_a_start_past_the_position_never_passes_it_unless_a_seek_goes_back() -> None:
    planner = ProgressPlanner(report(position=60000), 419704)
    assert planner.next_target() is None
    assert walk(planner, [420000, 500000]) == []
    assert planner.jump(30000) == []
    assert walk(planner, [59900, 60100]) == [Crossing(POSITION, 60000)]


def test_a_tick_behind_the_mark_counts_nothing_and_re_arms_nothing() -> None:
    """libVLC's ticks jitter around the interpolated position; only a seek moves the mark back."""
    planner = ProgressPlanner(report(interval=1000, position=1100), 0)
    assert walk(planner, [1200]) == [Crossing(INTERVAL, 1000), Crossing(POSITION, 1100)]
    assert walk(planner, [1050, 1150, 1300]) == []
    assert planner.played_ms == 1300
    assert walk(planner, [2100]) == [Crossing(INTERVAL, 2000)]


def test_new_values_apply_from_then_on_and_the_playback_count_goes_on() -> None:
    planner = ProgressPlanner(report(delay=5000, interval=2000), 1000)
    assert walk(planner, [3000, 4000]) == [Crossing(INTERVAL, 3000)]  # 2000 ms played
    planner.update(report(delay=4000, interval=3000, position=4500))
    assert planner.played_ms == 3000
    assert walk(planner, range(4250, 11001, 250)) == [
        Crossing(POSITION, 4500),
        Crossing(DELAY, 5000),  # 4000 ms of playback
        Crossing(INTERVAL, 7000),  # 6000 ms of playback
        Crossing(INTERVAL, 10000),
    ]


def test_new_values_already_behind_the_playback_are_not_reported() -> None:
    planner = ProgressPlanner(report(delay=1000, interval=1000), 0)
    assert walk(planner, [2500]) == [
        Crossing(DELAY, 1000),
        Crossing(INTERVAL, 1000),
        Crossing(INTERVAL, 2000),
    ]
    planner.update(report(delay=1000, interval=1000))  # the same values: nothing again
    assert walk(planner, [2900]) == []
    planner.update(report(delay=2000, interval=4000, position=2000))
    assert walk(planner, [3900]) == []
    assert walk(planner, [4100]) == [Crossing(INTERVAL, 4000)]
    planner.update(report(delay=0, interval=None))  # off
    assert planner.next_target() is None
    assert walk(planner, [20000]) == []


def test_zero_and_null_turn_reports_off() -> None:
    planner = ProgressPlanner(report(delay=0, interval=0, position=None), 0)
    assert planner.next_target() is None
    assert walk(planner, range(0, 10000, 100)) == []
    assert ProgressPlanner(None, 0).next_target() is None


def test_next_target_is_the_nearest_pending_one() -> None:
    planner = ProgressPlanner(report(delay=2500, interval=1000, position=1800), 200)
    assert planner.next_target() == 1200
    planner.passed(1300)
    assert planner.next_target() == 1800
    planner.passed(1900)
    assert planner.next_target() == 2200
    planner.passed(2300)
    assert planner.next_target() == 2700
    planner.passed(2800)
    assert planner.next_target() == 3200


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
