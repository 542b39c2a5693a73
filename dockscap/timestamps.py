"""Times as dockscap writes them: this machine's local time, with its UTC offset.

XCCDF start-time, end-time and rule-result time are xs:dateTime; the consumers
(STIG Viewer, STIG Manager, SCAP archives) read an instant only when the offset
is explicit. The offset is the one in force at that instant, so a scan that
runs across a daylight saving change still writes true times.
"""

from __future__ import annotations

from datetime import datetime


def now() -> datetime:
    """The current instant in the machine's time zone, with the offset in force now."""
    return datetime.now().astimezone()


def xs_datetime(moment: datetime) -> str:
    """xs:dateTime to the second, with its offset: 2024-07-24T09:05:00-04:00.

    A naive datetime is refused: guessing its zone would write a false instant.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time without a UTC offset cannot be written")
    return moment.isoformat(timespec="seconds")
