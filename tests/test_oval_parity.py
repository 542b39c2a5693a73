"""OpenSCAP, running the generated data stream, agrees with the Engine API.

Scenarios run on a private engine whose data root holds characters that mean
something in a regular expression (`/var/lib/dockscap-test-<name>+x.(y)`), so
the tailoring file that points the data root Value there is part of every
run. Each scenario's expected result is worked out from the scenario itself
(DESIGN.md: fail if any container's root filesystem is writable, else pass),
and `dockscap evaluate` on the same engine must say the same. Beyond the rule
result, the OVAL results must show that OpenSCAP saw exactly the engine's
containers and judged read-only exactly the ones created read-only.

Edge cases an engine will not produce (a hostconfig.json without the key, with
null, with the key only inside a string, empty) run on a directory tree laid
out like a host, through OSCAP_PROBE_ROOT (what `oscap-chroot` sets).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require, require_tool
from lxml import etree
from private_engine import IMAGE, PrivateEngine

from dockscap.cli import main
from dockscap.generator.checks import oval_checks
from dockscap.generator.content import load_benchmark

RELEASE = "V2R2"
NAME = f"dockscap-docker-{RELEASE}"
RULE = "xccdf_mil.disa.stig_rule_SV-235808r960963_rule"
PROFILE = "xccdf_mil.disa.stig_profile_MAC-1_Classified"
TAILORED_PROFILE = f"{PROFILE}_tailored"
# Characters that a regex would read as operators, in the engine's data root.
REGEX_SUFFIX = "+x.(y)"
# An eval of this content reads a handful of files; a walk of the whole file
# system (what a regex path without a literal prefix costs) would take longer.
EVAL_SECONDS = 20.0

NS = {
    "x": "http://checklists.nist.gov/xccdf/1.2",
    "res": "http://oval.mitre.org/XMLSchema/oval-results-5",
    "sc": "http://oval.mitre.org/XMLSchema/oval-system-characteristics-5",
    "unix-sc": "http://oval.mitre.org/XMLSchema/oval-system-characteristics-5#unix",
}


# --- scenarios ----------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    name: str
    read_only: bool
    state: str  # running, exited or created (never started)


@dataclass(frozen=True)
class Scenario:
    id: str
    containers: tuple[Container, ...]

    @property
    def expected(self) -> str:
        """DESIGN.md: fail if any root filesystem is writable; none found passes."""
        return "fail" if any(not c.read_only for c in self.containers) else "pass"


READ_ONLY = (
    Container("ro-running", True, "running"),
    Container("ro-exited", True, "exited"),
    Container("ro-created", True, "created"),
)
SCENARIOS = (
    Scenario(
        "one-writable-among-read-only",
        (*READ_ONLY, Container("rw-created", False, "created")),
    ),
    Scenario("all-read-only", READ_ONLY),
    Scenario("no-containers", ()),
)


def create(engine: PrivateEngine, scenario: Scenario) -> dict[str, Container]:
    """The scenario's containers on the engine, by full id."""
    created = {}
    with engine.client() as client:
        for spec in scenario.containers:
            command = ["sleep", "3600"] if spec.state == "running" else ["true"]
            container = client.containers.create(
                IMAGE, command, name=spec.name, read_only=spec.read_only
            )
            if spec.state != "created":
                container.start()
            if spec.state == "exited":
                container.wait(timeout=30)
            created[container.id] = spec
    return created


# --- OpenSCAP -----------------------------------------------------------------


@dataclass(frozen=True)
class OscapRun:
    """What `oscap xccdf eval` said, and what its OVAL results show it saw."""

    result: str
    exit_code: int
    seconds: float
    arf: Path
    seen: frozenset[str]
    compliant: frozenset[str]


def oscap_eval(
    oscap: str,
    datastream: Path,
    arf: Path,
    profile: str,
    tailoring: Path | None = None,
    probe_root: Path | None = None,
) -> OscapRun:
    command = [oscap, "xccdf", "eval", "--profile", profile, "--results-arf", str(arf)]
    if tailoring is not None:
        command += ["--tailoring-file", str(tailoring)]
    environment = dict(os.environ)
    if probe_root is not None:
        environment["OSCAP_PROBE_ROOT"] = str(probe_root)

    started = time.monotonic()
    process = subprocess.run(
        [*command, str(datastream)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    seconds = time.monotonic() - started

    # oscap exits 0 when every rule passes, 2 when one does not, 1 on error.
    assert process.returncode in (0, 2), process.stderr
    report = etree.parse(str(arf)).getroot()
    (result,) = report.xpath(
        f"//x:rule-result[@idref='{RULE}']/x:result/text()", namespaces=NS
    )
    seen, compliant = _host_configs(report)
    return OscapRun(str(result), process.returncode, seconds, arf, seen, compliant)


def _host_configs(report: etree._Element) -> tuple[frozenset[str], frozenset[str]]:
    """Container ids whose hostconfig.json OVAL collected, and those it passed.

    Read from the OVAL results inside the ARF: the items of the "every
    container's hostconfig.json" object, and the result of the test that
    compares each with the files that set ReadonlyRootfs true.
    """
    check = next(iter(oval_checks(load_benchmark()).values()))
    seen: set[str] = set()
    compliant: set[str] = set()
    for results in report.iterfind(".//res:oval_results", NS):
        folders = {
            item.get("id"): Path(item.findtext("unix-sc:path", "", NS)).name
            for item in results.iterfind(".//unix-sc:file_item", NS)
            if item.findtext("unix-sc:filename", "", NS) == "hostconfig.json"
        }
        for reference in results.xpath(
            f".//sc:object[@id='{check.objects.host_configs}']/sc:reference",
            namespaces=NS,
        ):
            seen.add(folders[reference.get("item_ref")])
        for tested in results.xpath(
            f".//res:test[@test_id='{check.tests.all_compliant}']"
            "/res:tested_item[@result='true']",
            namespaces=NS,
        ):
            compliant.add(folders[tested.get("item_id")])
    return frozenset(seen), frozenset(compliant)


def rds_validate(oscap: str, arf: Path) -> None:
    process = subprocess.run(
        [oscap, "ds", "rds-validate", str(arf)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr


# --- dockscap evaluate ----------------------------------------------------------

EVALUATE_RESULTS = {0: "pass", 2: "fail", 1: "error"}


def dockscap_evaluate(engine: PrivateEngine) -> str:
    """The rule's result from `dockscap evaluate --host` on the same engine."""
    outcome = CliRunner().invoke(
        main, ["evaluate", "--host", engine.url, "--release", RELEASE]
    )
    assert outcome.exit_code in EVALUATE_RESULTS, outcome.output
    return EVALUATE_RESULTS[outcome.exit_code]


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_engine() -> Iterator[PrivateEngine]:
    """A private engine of this test run whose data root is /var/lib/...+x.(y)."""
    require_tool("dockerd", "docker.io")
    require(Path("/bin/busybox").is_file(), "/bin/busybox is missing (busybox-static)")
    require(os.geteuid() == 0, "a private dockerd needs root")
    base = os.environ.get("DOCKSCAP_TEST_ENGINE") or "oval"
    engine = PrivateEngine(f"{base}{REGEX_SUFFIX}")
    started = engine.start()
    with engine.client() as client:
        engine.ensure_image(client)
        engine.remove_all_containers(client)
    yield engine
    with engine.client() as client:
        engine.remove_all_containers(client)
    if started:
        engine.stop()


@pytest.fixture
def empty_engine(odd_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    with odd_engine.client() as client:
        odd_engine.remove_all_containers(client)
    yield odd_engine
    with odd_engine.client() as client:
        odd_engine.remove_all_containers(client)


@pytest.fixture(scope="module")
def content(
    tmp_path_factory: pytest.TempPathFactory, odd_engine: PrivateEngine
) -> Path:
    """The data stream and a tailoring for the engine's data root, as generated."""
    out = tmp_path_factory.mktemp("content")
    outcome = CliRunner().invoke(
        main,
        ["generate", "--release", RELEASE, "--out", str(out)]
        + ["--data-root", str(odd_engine.data_root)],
    )
    assert outcome.exit_code == 0, outcome.output
    return out


# --- the engine scenarios -------------------------------------------------------


@pytest.mark.engine
@pytest.mark.oscap
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_oscap_and_dockscap_agree_on_the_engine(
    scenario: Scenario,
    empty_engine: PrivateEngine,
    content: Path,
    oscap: str,
    tmp_path: Path,
) -> None:
    containers = create(empty_engine, scenario)

    run = oscap_eval(
        oscap,
        content / f"{NAME}-ds.xml",
        tmp_path / "arf.xml",
        TAILORED_PROFILE,
        tailoring=content / f"{NAME}-tailoring.xml",
    )

    assert run.result == scenario.expected
    assert run.seen == set(containers)
    assert run.compliant == {id for id, spec in containers.items() if spec.read_only}
    assert run.seconds < EVAL_SECONDS
    rds_validate(oscap, run.arf)
    assert dockscap_evaluate(empty_engine) == run.result


@pytest.mark.oscap
def test_no_docker_is_notapplicable(content: Path, oscap: str, tmp_path: Path) -> None:
    """A host without dockerd: the CPE platform does not apply (oscap-chroot)."""
    host = tmp_path / "host"
    host.mkdir()

    run = oscap_eval(
        oscap,
        content / f"{NAME}-ds.xml",
        tmp_path / "arf.xml",
        TAILORED_PROFILE,
        tailoring=content / f"{NAME}-tailoring.xml",
        probe_root=host,
    )

    assert run.result == "notapplicable"
    assert run.exit_code == 0
    rds_validate(oscap, run.arf)


# --- edge cases on a host tree ------------------------------------------------


def host_config(read_only: object = True, **extra: object) -> dict[str, object]:
    """A HostConfig as the engine stores it, with the setting under test."""
    config: dict[str, object] = {
        "Binds": None,
        "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": "default",
        "Privileged": False,
        "ReadonlyRootfs": read_only,
        "SecurityOpt": None,
        "CgroupParent": "",
    }
    config.update(extra)
    return config


def compact(config: Mapping[str, object]) -> str:
    """Go's encoding/json form: no spaces, every quote in a string escaped."""
    return json.dumps(config, separators=(",", ":"))


def folder_id(number: int) -> str:
    return f"{number:064x}"


# hostconfig.json contents by container folder, and whether DESIGN.md's table
# lets each pass; None stands for a container folder with no hostconfig.json.
SMUGGLED = ',"ReadonlyRootfs":true}'
HOST_TREE: dict[str, tuple[str | None, bool]] = {
    folder_id(1): (compact(host_config(True)), True),
    folder_id(2): (compact(host_config(False)), False),
    folder_id(3): (
        compact({k: v for k, v in host_config().items() if k != "ReadonlyRootfs"}),
        False,
    ),
    folder_id(4): (compact(host_config(None)), False),
    folder_id(5): (compact(host_config("true")), False),
    folder_id(6): (compact(host_config(False, CgroupParent=SMUGGLED)), False),
    folder_id(7): (
        compact(host_config(False, LogConfig={"Type": "x", "Config": {"o": SMUGGLED}})),
        False,
    ),
    folder_id(8): ("", False),
    folder_id(9): (json.dumps(host_config(True), indent=2), True),
    "not-a-container": (compact(host_config(False)), False),
    folder_id(10): (None, False),
}


def lay_out_host(root: Path, folders: Mapping[str, str | None]) -> None:
    """dockerd where Debian installs it, and the default data root's containers."""
    (root / "usr" / "sbin").mkdir(parents=True)
    (root / "usr" / "sbin" / "dockerd").touch()
    containers = root / "var" / "lib" / "docker" / "containers"
    containers.mkdir(parents=True)
    for name, text in folders.items():
        (containers / name).mkdir()
        if text is not None:
            (containers / name / "hostconfig.json").write_text(text)


def hex_folders_with_config(folders: Mapping[str, str | None]) -> set[str]:
    """What the check reads: 64-hex folders holding a hostconfig.json."""
    return {
        name
        for name, text in folders.items()
        if text is not None and len(name) == 64 and set(name) <= set("0123456789abcdef")
    }


@pytest.mark.oscap
def test_each_hostconfig_is_judged_by_its_own_top_level_key(
    content: Path, oscap: str, tmp_path: Path
) -> None:
    folders = {name: text for name, (text, _) in HOST_TREE.items()}
    lay_out_host(tmp_path / "host", folders)

    run = oscap_eval(
        oscap,
        content / f"{NAME}-ds.xml",
        tmp_path / "arf.xml",
        PROFILE,
        probe_root=tmp_path / "host",
    )

    assert run.result == "fail"
    assert run.seen == hex_folders_with_config(folders)
    assert run.compliant == {name for name, (_, ok) in HOST_TREE.items() if ok}


@pytest.mark.oscap
def test_folders_the_check_does_not_read_leave_a_pass(
    content: Path, oscap: str, tmp_path: Path
) -> None:
    """A writable config outside a 64-hex folder, a folder without one: ignored."""
    kept = (folder_id(1), folder_id(9), "not-a-container", folder_id(10))
    folders = {name: HOST_TREE[name][0] for name in kept}
    lay_out_host(tmp_path / "host", folders)

    run = oscap_eval(
        oscap,
        content / f"{NAME}-ds.xml",
        tmp_path / "arf.xml",
        PROFILE,
        probe_root=tmp_path / "host",
    )

    assert run.result == "pass"
    assert run.seen == run.compliant == {folder_id(1), folder_id(9)}


@pytest.mark.oscap
def test_a_data_root_without_containers_folder_fails(
    content: Path, oscap: str, tmp_path: Path
) -> None:
    """dockerd installed, nothing at the data root: a mistyped Value, not a pass."""
    lay_out_host(tmp_path / "host", {})
    (tmp_path / "host" / "var" / "lib" / "docker" / "containers").rmdir()

    run = oscap_eval(
        oscap,
        content / f"{NAME}-ds.xml",
        tmp_path / "arf.xml",
        PROFILE,
        probe_root=tmp_path / "host",
    )

    assert run.result == "fail"
    assert run.seen == set()
