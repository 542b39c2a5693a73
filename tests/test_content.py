"""content/ loads into the rule model, and every mistake names file, line and key."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dockscap.errors import ContentError
from dockscap.generator.content import DEFAULT_CONTENT, load_benchmark

# DESIGN.md, "STIG releases and identifiers", typed here rather than read back.
EXPECTED_IDS = {
    "V1R1": ("V-95651", "SV-104789r1_rule", "F-101317r1_fix", "C-94479r1_chk", ()),
    "V2R1": (
        "V-235808",
        "SV-235808r627551_rule",
        "F-38990r627550_fix",
        "C-39027r627549_chk",
        ("SV-104789", "V-95651"),
    ),
    "V2R2": (
        "V-235808",
        "SV-235808r960963_rule",
        "F-38990r627550_fix",
        "C-39027r627549_chk",
        ("SV-104789", "V-95651"),
    ),
}


def test_the_rule_carries_designs_identifiers() -> None:
    benchmark = load_benchmark()
    rule = benchmark.rule("DKER-EE-002030")

    for release, (group, rule_id, fix, check, legacy) in EXPECTED_IDS.items():
        ids = rule.ids(release)
        assert (ids.group, ids.rule, ids.fix, ids.check, ids.legacy) == (
            group,
            rule_id,
            fix,
            check,
            legacy,
        )
    assert (rule.severity, rule.weight, rule.srg) == ("high", 10.0, "SRG-APP-000141")
    assert rule.cci == ("CCI-000381",)
    assert rule.nist == ("CM-7 a",)


def test_releases_and_the_newest_default() -> None:
    benchmark = load_benchmark()

    assert benchmark.release(None).name == "V2R2"
    assert benchmark.release("V1R1").benchmark_date == date(2019, 7, 19)
    assert benchmark.release("V2R1").release_info == (
        "Release: 1 Benchmark Date: 23 Apr 2021"
    )
    assert benchmark.release("V2R2").release_info == (
        "Release: 2 Benchmark Date: 24 Jul 2024"
    )
    assert benchmark.release("V1R1").cci_system == "http://iase.disa.mil/cci"
    assert len(benchmark.profiles) == 9
    assert benchmark.xccdf_id("benchmark", benchmark.id) == (
        "xccdf_mil.disa.stig_benchmark_Docker_Enterprise_2-x_Linux-UNIX_STIG"
    )


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may break."""
    return Path(shutil.copytree(DEFAULT_CONTENT, tmp_path / "content"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


RULE = "rules/DKER-EE-002030.yml"


def _line_of(path: Path, text: str) -> int:
    """Where TEXT starts in the edited file, counted independently of the loader."""
    return path.read_text()[: path.read_text().index(text)].count("\n") + 1


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "key", "problem"),
    [
        (
            RULE,
            "severity: high",
            "severity: urgent",
            "severity: urgent",
            "severity",
            "'urgent' is not one of low, medium, high",
        ),
        (
            RULE,
            "weight: 10.0",
            "weight: heavy",
            "weight: heavy",
            "weight",
            "expected a number, found str 'heavy'",
        ),
        (
            RULE,
            "documentable: false",
            "documentable: false\ncolour: red",
            "colour",
            "colour",
            "unknown key",
        ),
        (RULE, "srg: SRG-APP-000141\n", "", "stig_id", "srg", "missing key"),
        (
            RULE,
            "    rule: SV-104789r1_rule",
            "    rule: SV-104789_rule",
            "SV-104789_rule",
            "releases.V1R1.rule",
            "'SV-104789_rule' is not of the form ^SV-\\d+r\\d+_rule$",
        ),
        (
            RULE,
            "cci: [CCI-000381]",
            "cci: CCI-000381",
            "cci:",
            "cci",
            "expected a list",
        ),
        (
            RULE,
            "  expected: true",
            "  expected: yes please",
            "yes please",
            "check.expected",
            "expected true or false, found str 'yes please'",
        ),
        (
            "benchmark.yml",
            "    benchmark_date: 2019-07-19",
            "    benchmark_date: July 2019",
            "July 2019",
            "releases.V1R1.benchmark_date",
            "expected a date YYYY-MM-DD, found str 'July 2019'",
        ),
        (
            "benchmark.yml",
            "  - {id: MAC-1_Public,",
            "  - {id: MAC-1_Classified,",
            "{id: MAC-1_Classified, title: I - Mission Critical Public",
            "profiles[1]",
            "duplicate id 'MAC-1_Classified'",
        ),
    ],
)
def test_content_errors_name_file_line_and_key(
    content: Path, file: str, old: str, new: str, where: str, key: str, problem: str
) -> None:
    _edit(content / file, old, new)
    line = _line_of(content / file, where)

    with pytest.raises(ContentError) as caught:
        load_benchmark(content)

    assert str(caught.value) == f"{content / file}:{line}: {key}: {problem}"


def test_bad_yaml_names_the_line(content: Path) -> None:
    _edit(content / RULE, "severity: high", "severity: [high")

    with pytest.raises(ContentError) as caught:
        load_benchmark(content)

    # The parser notices at the next key (line 7); the [ was opened on line 6.
    assert caught.value.path == content / RULE
    assert caught.value.line == 7
    assert str(caught.value).endswith(
        ":7: not valid YAML: expected ',' or ']', but got ':'"
        " (while parsing a flow sequence at line 6)"
    )


def test_duplicate_rules_are_refused(content: Path) -> None:
    shutil.copy(content / RULE, content / "rules/copy.yml")

    with pytest.raises(ContentError, match="duplicate id 'DKER-EE-002030'"):
        load_benchmark(content)


def test_a_release_the_rule_lacks_is_named(content: Path) -> None:
    _edit(content / "benchmark.yml", "  V2R2:\n", "  V3R1:\n    x: 1\n  V2R2:\n")

    with pytest.raises(ContentError) as caught:
        load_benchmark(content)

    assert "releases.V3R1" in str(caught.value)


def test_a_release_may_be_named_in_lower_case() -> None:
    benchmark = load_benchmark()

    assert benchmark.release("v1r1") is benchmark.release("V1R1")
    assert benchmark.release("v1r1").name == "V1R1"
