"""Load content/ into the rule model, checking every key against its expected type.

YAML is composed into nodes first, so that every error can name the file, the
line and the key where the content went wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from dockscap.errors import ContentError
from dockscap.generator.model import (
    Benchmark,
    CheckDefinition,
    DpmsTarget,
    Profile,
    Release,
    Rule,
    RuleIds,
    Value,
)

DEFAULT_CONTENT = Path(__file__).resolve().parent.parent / "content"

RELEASE_NAME = re.compile(r"^V\d+R\d+$")
SEVERITIES = ("low", "medium", "high")
NCNAME_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class _Node:
    """A YAML node with where it came from, for messages that point at the line."""

    node: yaml.Node
    path: Path
    key: str

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, problem: str) -> ContentError:
        return ContentError(self.path, self.line, self.key, problem)

    def mapping(
        self, required: set[str], optional: frozenset[str] = frozenset()
    ) -> dict[str, _Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("expected a mapping")
        fields: dict[str, _Node] = {}
        for key_node, value_node in self.node.value:
            name = str(key_node.value)
            child = _Node(value_node, self.path, _join(self.key, name))
            if name in fields:
                raise child.error("duplicate key")
            if name not in required | optional:
                raise child.error("unknown key")
            fields[name] = child
        missing = sorted(required - fields.keys())
        if missing:
            raise ContentError(
                self.path, self.line, _join(self.key, missing[0]), "missing key"
            )
        return fields

    def mapping_value(self, key: str) -> _Node:
        """One value of a mapping already checked by mapping()."""
        for key_node, value_node in self.node.value:
            if key_node.value == key:
                return _Node(value_node, self.path, _join(self.key, key))
        raise self.error(f"no {key}")

    def items(self) -> list[_Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("expected a list")
        return [
            _Node(child, self.path, f"{self.key}[{index}]")
            for index, child in enumerate(self.node.value)
        ]

    def scalar(self) -> Any:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("expected a single value")
        return yaml.SafeLoader(" ").construct_object(self.node)

    def text(self, pattern: re.Pattern[str] | None = None) -> str:
        value = self.scalar()
        if isinstance(value, str) and not value.strip():
            raise self.error("expected text, found it empty")
        if not isinstance(value, str):
            raise self.error(f"expected text, found {_describe(value)}")
        if pattern and not pattern.match(value):
            raise self.error(f"{value!r} is not of the form {pattern.pattern}")
        return value

    def optional_text(self) -> str | None:
        return None if self.scalar() is None else self.text()

    def boolean(self) -> bool:
        value = self.scalar()
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, found {_describe(value)}")
        return value

    def number(self) -> float:
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, found {_describe(value)}")
        return float(value)

    def day(self) -> date:
        value = self.scalar()
        if not isinstance(value, date):
            raise self.error(f"expected a date YYYY-MM-DD, found {_describe(value)}")
        return value

    def texts(self, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
        return tuple(item.text(pattern) for item in self.items())

    def choice(self, allowed: tuple[str, ...]) -> str:
        value = self.text()
        if value not in allowed:
            raise self.error(f"{value!r} is not one of {', '.join(allowed)}")
        return value


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _context(error: yaml.MarkedYAMLError, line: int | None) -> str:
    """Where the broken construct began, when the parser noticed only lines later:
    an unclosed [ shows up at the next key."""
    if not error.context or error.context_mark is None:
        return ""
    begun = error.context_mark.line + 1
    return f" ({error.context} at line {begun})" if begun != line else ""


def _document(path: Path) -> _Node:
    try:
        with path.open(encoding="utf-8") as stream:
            node = yaml.compose(stream, Loader=yaml.SafeLoader)
    except OSError as error:
        raise ContentError(
            path, None, None, f"cannot read: {error.strerror}"
        ) from error
    except UnicodeDecodeError as error:
        raise ContentError(
            path, None, None, f"not UTF-8 text (byte {error.start})"
        ) from error
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise ContentError(
            path, line, None, f"not valid YAML: {error.problem}{_context(error, line)}"
        ) from error
    except yaml.YAMLError as error:  # the reader's errors carry no mark
        raise ContentError(path, None, None, f"not valid YAML: {error}") from error
    if node is None:
        raise ContentError(path, 1, None, "the file is empty")
    return _Node(node, path, "")


def load_benchmark(content_dir: Path | None = None) -> Benchmark:
    """Load benchmark.yml and every rule under rules/, checked against each other."""
    content_dir = Path(content_dir or DEFAULT_CONTENT)
    benchmark_file = content_dir / "benchmark.yml"
    if not benchmark_file.is_file():
        raise ContentError(content_dir, None, None, "no benchmark.yml in this folder")

    top = _document(benchmark_file).mapping(
        {
            "id",
            "title",
            "description",
            "publisher",
            "source",
            "namespace",
            "releases",
            "profiles",
            "values",
        }
    )
    releases = _releases(top["releases"], top["description"].text())
    values = tuple(_value(node) for node in top["values"].items())
    rule_files = sorted((content_dir / "rules").glob("*.yml"))
    if not rule_files:
        raise ContentError(content_dir / "rules", None, None, "no rule files (*.yml)")
    documents = [_document(path) for path in rule_files]
    rules = tuple(_rule(document, releases, values) for document in documents)

    stig_ids = [document.mapping_value("stig_id") for document in documents]
    _unique(stig_ids, [rule.stig_id for rule in rules])
    return Benchmark(
        id=top["id"].text(NCNAME_PART),
        title=top["title"].text(),
        description=top["description"].text(),
        publisher=top["publisher"].text(),
        source=top["source"].text(),
        namespace=top["namespace"].text(re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")),
        releases=releases,
        profiles=_profiles(top["profiles"]),
        values=values,
        rules=rules,
    )


def _releases(node: _Node, description: str) -> dict[str, Release]:
    """The releases, each with the benchmark's DESCRIPTION unless it has its own."""
    releases = {}
    for name, entry in node.mapping(set(), frozenset(_any_key(node))).items():
        if not RELEASE_NAME.match(name):
            raise entry.error("a release is named like V2R2")
        fields = entry.mapping(
            {
                "version",
                "release",
                "benchmark_date",
                "status_date",
                "reference_href",
                "cci_system",
                "legacy_system",
                "dpms_target",
            },
            frozenset({"description"}),
        )
        target = fields["dpms_target"].mapping({"title", "subject", "identifier"})
        own = fields.get("description")
        releases[name] = Release(
            name=name,
            version=fields["version"].text(),
            release=fields["release"].text(),
            benchmark_date=fields["benchmark_date"].day(),
            status_date=fields["status_date"].day(),
            reference_href=fields["reference_href"].text(),
            cci_system=fields["cci_system"].text(),
            legacy_system=fields["legacy_system"].optional_text(),
            dpms_target=DpmsTarget(**{k: v.text() for k, v in target.items()}),
            description=own.text() if own is not None else description,
        )
    if not releases:
        raise node.error("at least one release is needed")
    return releases


def _any_key(node: _Node) -> set[str]:
    """Every key of a mapping whose keys are data (release names), not a schema."""
    if not isinstance(node.node, yaml.MappingNode):
        raise node.error("expected a mapping")
    return {str(key.value) for key, _ in node.node.value}


def _profiles(node: _Node) -> tuple[Profile, ...]:
    profiles = []
    for item in node.items():
        fields = item.mapping({"id", "title"})
        profiles.append(Profile(fields["id"].text(NCNAME_PART), fields["title"].text()))
    _unique(node.items(), [p.id for p in profiles])
    return tuple(profiles)


def _value(node: _Node) -> Value:
    fields = node.mapping({"id", "title", "description", "type", "default"})
    return Value(
        id=fields["id"].text(NCNAME_PART),
        title=fields["title"].text(),
        description=fields["description"].text(),
        type=fields["type"].choice(("string", "number", "boolean")),
        default=fields["default"].text(),
    )


def _rule(
    document: _Node, releases: dict[str, Release], values: tuple[Value, ...]
) -> Rule:
    fields = document.mapping(
        {
            "stig_id",
            "srg",
            "title",
            "severity",
            "weight",
            "documentable",
            "cci",
            "nist",
            "discussion",
            "check_text",
            "fix_text",
            "releases",
            "check",
        }
    )
    rule_releases = _rule_releases(fields["releases"], releases)
    check = _check(fields["check"], values)
    return Rule(
        stig_id=fields["stig_id"].text(re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")),
        srg=fields["srg"].text(re.compile(r"^SRG-[A-Z]+-\d{6}$")),
        title=fields["title"].text(),
        severity=fields["severity"].choice(SEVERITIES),
        weight=fields["weight"].number(),
        documentable=fields["documentable"].boolean(),
        cci=fields["cci"].texts(re.compile(r"^CCI-\d{6}$")),
        nist=fields["nist"].texts(),
        discussion=fields["discussion"].text(),
        check_text=fields["check_text"].text(),
        fix_text=fields["fix_text"].text(),
        releases=rule_releases,
        check=check,
    )


def _rule_releases(node: _Node, releases: dict[str, Release]) -> dict[str, RuleIds]:
    ids = {}
    entries = node.mapping(set(releases), frozenset())
    for name, entry in entries.items():
        fields = entry.mapping({"group", "rule", "fix", "check", "legacy"})
        ids[name] = RuleIds(
            group=fields["group"].text(re.compile(r"^V-\d+$")),
            rule=fields["rule"].text(re.compile(r"^SV-\d+r\d+_rule$")),
            fix=fields["fix"].text(re.compile(r"^F-\d+r\d+_fix$")),
            check=fields["check"].text(re.compile(r"^C-\d+r\d+_chk$")),
            legacy=fields["legacy"].texts(re.compile(r"^S?V-\d+$")),
        )
    return ids


def _check(node: _Node, values: tuple[Value, ...]) -> CheckDefinition:
    fields = node.mapping({"name", "host_config_key", "expected", "data_root_value"})
    data_root = fields["data_root_value"]
    if data_root.text() not in {value.id for value in values}:
        raise data_root.error(f"no value {data_root.text()!r} in benchmark.yml")
    return CheckDefinition(
        name=fields["name"].text(re.compile(r"^[a-z0-9_]+$")),
        host_config_key=fields["host_config_key"].text(re.compile(r"^[A-Za-z]+$")),
        expected=fields["expected"].boolean(),
        data_root_value=data_root.text(),
    )


def _unique(places: list[_Node], ids: list[str]) -> None:
    """Refuse a repeated id, pointing at its second appearance."""
    seen: set[str] = set()
    for place, value in zip(places, ids, strict=True):
        if value in seen:
            raise place.error(f"duplicate id {value!r}")
        seen.add(value)
