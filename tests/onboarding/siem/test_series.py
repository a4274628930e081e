"""SPEC W1–W6: where a customer is in the workshop's series of meetings (pure)."""

from datetime import UTC, datetime

from onboarding.siem.series import TYPICAL_SERIES, SeriesMeeting, progress

WHEN = datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_w6_an_empty_series_starts_at_meeting_1_of_8_with_every_topic_open():
    """Nothing scheduled: meeting 1 of the typical 8, every typical topic still to schedule."""
    result = progress([])
    assert (result.held, result.planned, result.current, result.total) == (0, 0, 1, 8)
    assert [step.topic for step in result.steps] == list(TYPICAL_SERIES)
    assert {step.state for step in result.steps} == {"open"}
    assert not result.finished


def test_w6_two_held_and_one_planned_is_meeting_3_of_8_and_cancelled_ones_do_not_count():
    """Purpose and sizing held, alignment planned, a cancelled retention meeting ignored."""
    meetings = [
        SeriesMeeting("purpose", "held", WHEN),
        SeriesMeeting("sizing", "held", WHEN),
        SeriesMeeting("alignment", "planned", WHEN),
        SeriesMeeting("retention", "cancelled", WHEN),
    ]
    result = progress(meetings)
    assert (result.held, result.planned, result.current, result.total) == (2, 1, 3, 8)
    states = [step.state for step in result.steps]
    assert states[:4] == ["held", "held", "planned", "open"]


def test_w6_a_longer_series_grows_past_eight_and_each_project_review_counts_once():
    """Ten meetings held (three project reviews): 10 of 10, finished; the typical two project
    reviews are both held."""
    topics = [*TYPICAL_SERIES, "project", "other"]
    result = progress([SeriesMeeting(t, "held", WHEN) for t in topics])
    assert (result.held, result.total, result.current) == (10, 10, 10)
    assert result.finished
    assert [s.state for s in result.steps if s.topic == "project"] == ["held", "held"]
