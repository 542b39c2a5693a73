"""The automated checks a rule carries, and the OVAL ids that implement them.

The check systems are named here once: OpenSCAP and SCC run the OVAL check,
`dockscap evaluate` runs its own check against the Docker Engine API and names
that system in its results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dockscap.errors import ContentError
from dockscap.generator.model import Benchmark, Rule
from dockscap.namespaces import OVAL_DEFINITIONS

# The XCCDF 1.2 check system URI of OVAL, the namespace of its definitions.
OVAL_CHECK_SYSTEM = OVAL_DEFINITIONS

# dockscap's own check system: list every container, inspect each, compare its
# HostConfig. The .invalid domain (RFC 2606) is reserved, so the URI can never
# name someone else's system.
ENGINE_API_CHECK_SYSTEM = "https://dockscap.invalid/check/docker-engine-api"

OVAL_NAMESPACE = "dockscap.docker"
CPE_OVAL_NAMESPACE = "dockscap.cpe"

# OVAL ids of a rule's check live in a block of 100 numbers, one per rule,
# after the numbers 1-99 that the external variables of XCCDF Values take.
_BLOCK = 100


def oval_id(namespace: str, kind: str, number: int) -> str:
    """An OVAL id, oval:<namespace>:<def|tst|obj|ste|var>:<number>."""
    return f"oval:{namespace}:{kind}:{number}"


@dataclass(frozen=True)
class _Ids:
    namespace: str
    kind: str
    base: int

    def __call__(self, offset: int) -> str:
        return oval_id(self.namespace, self.kind, self.base + offset)


@dataclass(frozen=True)
class OvalTests:
    containers_dir: str
    no_host_config: str
    some_compliant: str
    all_compliant: str


@dataclass(frozen=True)
class OvalObjects:
    containers_dir: str
    host_configs: str
    compliant_host_configs: str


@dataclass(frozen=True)
class OvalStates:
    container_file: str
    container_text: str
    compliant_file: str


@dataclass(frozen=True)
class OvalVariables:
    data_root: str
    containers_dir: str
    compliant_paths: str


@dataclass(frozen=True)
class OvalReference:
    source: str
    ref_id: str


@dataclass(frozen=True)
class OvalCheck:
    """The OVAL definition of one rule: a HostConfig key of every container."""

    # Folders directly below <data-root>/containers named by a container id;
    # matched against the folder path, so the data root never enters a regex.
    CONTAINER_FOLDER_PATTERN: ClassVar[str] = "/containers/[0-9a-f]{64}$"

    definition: str
    title: str
    description: str
    reference: OvalReference
    setting: str
    pattern: str
    data_root_value: str
    tests: OvalTests
    objects: OvalObjects
    states: OvalStates
    variables: OvalVariables


def host_config_pattern(key: str, expected: bool) -> str:
    """A regex that finds `"key":expected` as a member of hostconfig.json's object.

    The engine writes hostconfig.json as compact JSON, where every `"` inside a
    string is escaped: a match that starts with `{` or `,` and an unescaped `"`
    can only be a key of an object, never text inside a label or an option.
    Whitespace is allowed where JSON allows it. The key is plain letters
    (checked when content is loaded), so it needs no escaping.
    """
    literal = "true" if expected else "false"
    return rf'[{{,]\s*"{key}"\s*:\s*{literal}\s*[,}}]'


def oval_checks(benchmark: Benchmark) -> dict[str, OvalCheck]:
    """The OVAL check of every rule, by STIG id, with ids numbered in rule order."""
    value_numbers = {
        value.id: number for number, value in enumerate(benchmark.values, start=1)
    }
    if len(value_numbers) >= _BLOCK:
        raise ContentError(
            "benchmark.yml", None, "values", f"at most {_BLOCK - 1} values fit"
        )
    return {
        rule.stig_id: _oval_check(rule, _BLOCK * number, value_numbers)
        for number, rule in enumerate(benchmark.rules, start=1)
    }


def _oval_check(rule: Rule, base: int, value_numbers: dict[str, int]) -> OvalCheck:
    def ids(kind: str) -> _Ids:
        return _Ids(OVAL_NAMESPACE, kind, base)

    test, obj, state, var = ids("tst"), ids("obj"), ids("ste"), ids("var")
    data_root_number = value_numbers[rule.check.data_root_value]
    setting = f'"{rule.check.host_config_key}": {str(rule.check.expected).lower()}'
    return OvalCheck(
        definition=ids("def")(0),
        title=rule.title,
        description=(
            f"Every container's hostconfig.json below the Docker data root sets "
            f"{setting}; a file that does not set it fails the check."
        ),
        reference=OvalReference("DISA STIG", rule.stig_id),
        setting=setting,
        pattern=host_config_pattern(rule.check.host_config_key, rule.check.expected),
        data_root_value=rule.check.data_root_value,
        tests=OvalTests(test(1), test(2), test(3), test(4)),
        objects=OvalObjects(obj(1), obj(2), obj(3)),
        states=OvalStates(state(1), state(2), state(3)),
        variables=OvalVariables(
            data_root=oval_id(OVAL_NAMESPACE, "var", data_root_number),
            containers_dir=var(1),
            compliant_paths=var(2),
        ),
    )


@dataclass(frozen=True)
class DockerPlatform:
    """The CPE platform "Docker Engine installed", and its OVAL inventory check."""

    cpe_name: str = "cpe:/a:docker:engine"
    cpe23_name: str = "cpe:2.3:a:docker:engine:*:*:*:*:*:*:*:*"
    title: str = "Docker Engine"
    daemon: str = "dockerd"
    # Where Debian, Ubuntu, RHEL and Docker's own packages and static
    # binaries install dockerd. Rootless Docker's ~/bin is per user and
    # cannot be named here.
    daemon_paths: tuple[str, ...] = (
        "/usr/bin/dockerd",
        "/usr/sbin/dockerd",
        "/usr/local/bin/dockerd",
        "/usr/local/sbin/dockerd",
        "/bin/dockerd",
        "/sbin/dockerd",
    )
    definition: str = oval_id(CPE_OVAL_NAMESPACE, "def", 1)
    test: str = oval_id(CPE_OVAL_NAMESPACE, "tst", 1)
    object: str = oval_id(CPE_OVAL_NAMESPACE, "obj", 1)
    variable: str = oval_id(CPE_OVAL_NAMESPACE, "var", 1)
