"""The series of workshop meetings (SPEC W1–W6: the seed's process took 8–10 meetings, each with
an agenda and minutes): the typical order of the topics, the catalogue activity each topic's
meeting is charged on (SPEC H3), and where a customer is in the series. Pure: no ORM."""

from dataclasses import dataclass
from datetime import datetime

# The typical series: purpose → sizing → alignment → retention → operations → dashboards →
# project reviews (two at least: the end of the first project and the start of the next).
TYPICAL_SERIES = (
    "purpose",
    "sizing",
    "alignment",
    "retention",
    "operations",
    "dashboards",
    "project",
    "project",
)

# The catalogue activity a meeting of each topic is charged on (activities.catalogue_seed).
TOPIC_ACTIVITY = {
    "purpose": "siem_purpose",
    "sizing": "siem_sizing",
    "alignment": "siem_alignment",
    "retention": "siem_retention",
    "operations": "siem_operations",
    "dashboards": "siem_dashboards",
    "project": "siem_project_review",
}
SIEM_ACTIVITY_CODES = tuple(TOPIC_ACTIVITY.values())


@dataclass(frozen=True)
class SeriesMeeting:
    topic: str
    status: str  # planned, held or cancelled (Meeting.Status)
    scheduled_at: datetime


@dataclass(frozen=True)
class Step:
    """One topic of the typical series and how far it got."""

    topic: str
    state: str  # "held", "planned" or "open"


@dataclass(frozen=True)
class Progress:
    held: int
    planned: int
    total: int  # the typical length, or more when more meetings were scheduled
    current: int  # the number of the next meeting (held + 1), at most ``total``
    steps: tuple[Step, ...]

    @property
    def finished(self) -> bool:
        return self.planned == 0 and self.held >= self.total


def progress(meetings: list[SeriesMeeting]) -> Progress:
    """Where the customer is: meetings held and planned (cancelled ones do not count), the
    number of the next meeting out of the series' length, and each typical topic as held,
    planned or still open (a topic is matched once per occurrence in the typical series)."""
    alive = [m for m in meetings if m.status != "cancelled"]
    held = sum(1 for m in alive if m.status == "held")
    planned = len(alive) - held
    total = max(len(TYPICAL_SERIES), len(alive))
    held_topics = [m.topic for m in alive if m.status == "held"]
    planned_topics = [m.topic for m in alive if m.status != "held"]
    steps = []
    for topic in TYPICAL_SERIES:
        if topic in held_topics:
            held_topics.remove(topic)
            steps.append(Step(topic, "held"))
        elif topic in planned_topics:
            planned_topics.remove(topic)
            steps.append(Step(topic, "planned"))
        else:
            steps.append(Step(topic, "open"))
    return Progress(
        held=held,
        planned=planned,
        total=total,
        current=min(held + 1, total),
        steps=tuple(steps),
    )
