"""Every time dockscap writes is xs:dateTime with the UTC offset of its instant.

`dockscap evaluate` runs in-process under TZ=America/New_York and Europe/Berlin
with a clock that stands one second before a daylight saving change when the
scan starts and one second after it from then on, so the start and the rest
of the times must carry different offsets. The expected offsets come from the
IANA database through zoneinfo, not from dockscap; the clock is faked by
replacing `datetime` inside dockscap.timestamps, the one place that reads it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from evaluate_support import MIXED, make_containers
from lxml import etree
from private_engine import PrivateEngine

from dockscap import timestamps
from dockscap.cli import main

pytestmark = pytest.mark.engine

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
# xs:dateTime (XML Schema Part 2, 3.2.7) with the time zone required.
XS_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:\d{2}")

# The instant clocks changed, in UTC: New York sprang forward at 02:00 EST,
# Berlin fell back at 03:00 CEST.
CHANGES = {
    "America/New_York": datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    "Europe/Berlin": datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
}


class Clock:
    """The first reading is a second before CHANGE, every later one a second after."""

    def __init__(self, change: datetime) -> None:
        self.before = change - timedelta(seconds=1)
        self.after = change + timedelta(seconds=1)
        self.readings = 0

    def now(self) -> datetime:
        moment = self.before if self.readings == 0 else self.after
        self.readings += 1
        # What datetime.now() gives: the local wall time, naive, with its fold.
        return datetime.fromtimestamp(moment.timestamp())


@pytest.fixture(params=sorted(CHANGES))
def zone(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Clock]]:
    name = request.param
    clock = Clock(CHANGES[name])

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            assert tz is None
            return clock.now()

    monkeypatch.setenv("TZ", name)
    time.tzset()
    monkeypatch.setattr(timestamps, "datetime", FakeDatetime)
    try:
        yield name, clock
    finally:
        monkeypatch.undo()
        time.tzset()


def test_every_written_time_has_its_instant_s_offset(
    engine: PrivateEngine, zone: tuple[str, Clock], tmp_path: Path
) -> None:
    name, clock = zone
    make_containers(engine, MIXED[:2])  # both read-only
    files = {
        "--results-arf": tmp_path / "arf.xml",
        "--results": tmp_path / "xccdf.xml",
        "--ckl": tmp_path / "r.ckl",
        "--cklb": tmp_path / "r.cklb",
        "--json": tmp_path / "r.json",
        "--report": tmp_path / "r.html",
    }
    options = [str(item) for pair in files.items() for item in pair]

    run = CliRunner().invoke(main, ["evaluate", "--host", engine.url, *options])

    assert run.exit_code == 0, run.output
    written = _times(files)
    assert set(written) == {
        "xccdf start-time",
        "xccdf end-time",
        "xccdf rule-result time",
        "xccdf message",
        "arf start-time",
        "arf end-time",
        "arf rule-result time",
        "ckl finding details",
        "cklb createdAt",
        "cklb finding details",
        "json generated",
        "json started",
        "json finished",
        "html",
    }
    zone_info = ZoneInfo(name)
    offsets = set()
    for where, values in written.items():
        for value in values:
            assert XS_DATETIME.fullmatch(value), (where, value)
            moment = datetime.fromisoformat(value)
            assert moment in (clock.before, clock.after), (where, value)
            expected = moment.astimezone(zone_info).utcoffset()
            assert moment.utcoffset() == expected, (where, value)
            offsets.add(moment.utcoffset())
    # Both sides of the change were written, so the offsets differ.
    assert len(offsets) == 2
    for where in ("xccdf start-time", "arf start-time", "json started"):
        assert datetime.fromisoformat(written[where][0]) == clock.before


def _times(files: dict[str, Path]) -> dict[str, list[str]]:
    """Every time each file holds, by where it is."""
    found: dict[str, list[str]] = {}
    for kind, option in (("xccdf", "--results"), ("arf", "--results-arf")):
        root = etree.parse(files[option]).getroot()
        result = next(root.iter(f"{XCCDF}TestResult"))
        found[f"{kind} start-time"] = [result.get("start-time", "")]
        found[f"{kind} end-time"] = [result.get("end-time", "")]
        rule_result = next(result.iter(f"{XCCDF}rule-result"))
        found[f"{kind} rule-result time"] = [rule_result.get("time", "")]
        if kind == "xccdf":
            found["xccdf message"] = IN_TEXT.findall(
                rule_result.findtext(f"{XCCDF}message") or ""
            )

    ckl = etree.parse(files["--ckl"])
    found["ckl finding details"] = IN_TEXT.findall(
        "\n".join(d.text or "" for d in ckl.iter("FINDING_DETAILS"))
    )
    cklb = json.loads(files["--cklb"].read_text())
    rules = cklb["stigs"][0]["rules"]
    found["cklb createdAt"] = [
        r[key] for r in rules for key in ("createdAt", "updatedAt")
    ]
    found["cklb finding details"] = IN_TEXT.findall(
        "\n".join(r["finding_details"] for r in rules)
    )

    document = json.loads(files["--json"].read_text())
    host = document["hosts"][0]
    found["json generated"] = [document["generated"]]
    found["json started"] = [host["started"]]
    found["json finished"] = [host["finished"]]
    found["html"] = IN_TEXT.findall(files["--report"].read_text())
    assert all(found.values()), {k: v for k, v in found.items() if not v}
    return found


def test_a_time_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="without a UTC offset"):
        timestamps.xs_datetime(datetime(2026, 3, 8, 1, 59, 59))
