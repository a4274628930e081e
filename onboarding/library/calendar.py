"""The meeting invitation as an iCalendar file (RFC 5545), written with the standard library:
no calendar package is locked. Pure: no ORM, no settings beyond what the caller passes."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    starts_at: datetime
    minutes: int
    summary: str
    description: str
    location: str
    organiser: str
    attendees: tuple[tuple[str, str], ...]  # (name, email)
    stamp: datetime
    cancelled: bool = False


def escape(text: str) -> str:
    """TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = "".join(c for c in text if c == "\n" or c >= " ")
    return text.replace("\n", "\\n")


def _param(text: str) -> str:
    """A parameter value (CN=…): quoted, without the characters a quoted value cannot hold."""
    cleaned = "".join(c for c in text if c >= " " and c not in '"\x7f')
    return f'"{cleaned}"'


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (§3.1), never splitting a
    UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = char, width, 74
        else:
            current += char
            size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(invite: Invite) -> bytes:
    method = "CANCEL" if invite.cancelled else "REQUEST"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CSM Portal//Meetings//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{invite.uid}",
        f"SEQUENCE:{invite.sequence}",
        f"DTSTAMP:{_utc(invite.stamp)}",
        f"DTSTART:{_utc(invite.starts_at)}",
        f"DTEND:{_utc(invite.starts_at + timedelta(minutes=invite.minutes))}",
        f"SUMMARY:{escape(invite.summary)}",
        f"DESCRIPTION:{escape(invite.description)}",
        f"STATUS:{'CANCELLED' if invite.cancelled else 'CONFIRMED'}",
    ]
    if invite.location:
        lines.append(f"LOCATION:{escape(invite.location)}")
        lines.append(f"URL:{escape(invite.location)}")
    lines.append(f"ORGANIZER:mailto:{invite.organiser}")
    for name, email in invite.attendees:
        lines.append(
            f"ATTENDEE;CN={_param(name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{email}"
        )
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()
