"""Many engines in one `dockscap evaluate` run: real engines and unreachable ones.

Two private engines are started by the tests (the `engine` fixture's, with
mixed containers, and a second one with read-only containers only), and two
endpoints answer nothing: a unix socket path that does not exist and a closed
TCP port. Both private engines run on this machine, so both report its host
name: that is the clash of file names the run must survive.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from evaluate_support import ALL_READ_ONLY, MIXED, make_containers
from lxml import etree
from private_engine import PrivateEngine
from rich.console import Console

from dockscap.cli import main
from dockscap.errors import InputError
from dockscap.evaluator.engine import connect
from dockscap.evaluator.fleet import ProgressDisplay, scan_engines
from dockscap.evaluator.hosts import (
    EngineTarget,
    NamePattern,
    disambiguate,
    engine_targets,
    filename_safe,
)
from dockscap.evaluator.results import EngineScan
from dockscap.evaluator.scan import ScanProgress, scan
from dockscap.generator.content import load_benchmark
from dockscap.namespaces import AI, ARF, ARF_VOCABULARY, CORE, DOCKSCAP, XCCDF_12

NS = {"arf": ARF, "core": CORE, "ai": AI, "x": XCCDF_12, "d": DOCKSCAP}
ENDPOINT_FACT = "https://dockscap.invalid/fact/docker-endpoint"
# What rich draws for a progress bar, and the terminal controls it moves with.
PROGRESS_MARKS = ("━", "\r", "\x1b[")


def evaluate(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["evaluate", *arguments], catch_exceptions=False)


def closed_port() -> str:
    """tcp://127.0.0.1:PORT where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"tcp://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def second_private_engine(private_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    """Another private dockerd beside the fixture's (DOCKSCAP_TEST_ENGINE + '2')."""
    second = PrivateEngine(f"{private_engine.name}2")
    started = second.start()
    with second.client() as client:
        second.ensure_image(client)
    yield second
    with second.client() as client:
        second.remove_all_containers(client)
    if started:
        second.stop()


@pytest.fixture
def second_engine(second_private_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    with second_private_engine.client() as client:
        second_private_engine.remove_all_containers(client)
    yield second_private_engine
    with second_private_engine.client() as client:
        second_private_engine.remove_all_containers(client)


# -- Hosts files -------------------------------------------------------------------


def test_a_hosts_file_gives_endpoints_labels_and_indexes(tmp_path: Path) -> None:
    hosts = tmp_path / "engines.txt"
    hosts.write_text(
        "# production\n"
        "\n"
        "tcp://docker01.example.mil:2376   web tier  # the front\n"
        "  ssh://admin@docker02.example.mil\n"
        "unix:///var/run/docker.sock local#1\n"
    )

    targets = engine_targets(("unix:///run/first.sock",), hosts)

    assert targets == [
        EngineTarget("unix:///run/first.sock", None, 1, "--host"),
        EngineTarget("tcp://docker01.example.mil:2376", "web tier", 2, f"{hosts}:3"),
        EngineTarget("ssh://admin@docker02.example.mil", None, 3, f"{hosts}:4"),
        EngineTarget("unix:///var/run/docker.sock", "local#1", 4, f"{hosts}:5"),
    ]


def test_without_host_options_the_one_engine_is_docker_host_s() -> None:
    assert engine_targets(()) == [EngineTarget(None)]


HINT = "use unix:///path/docker.sock, tcp://HOST:PORT or ssh://USER@HOST"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "{file}: names no engine (one endpoint a line, then an optional "
            "label; # starts a comment)",
        ),
        (
            "# only a comment\n\n",
            "{file}: names no engine (one endpoint a line, "
            "then an optional label; # starts a comment)",
        ),
        (
            "tcp://a:2376\ndocker01:2376\n",
            f"{{file}}:2: 'docker01:2376' is not an engine address; {HINT}",
        ),
        ("ftp://a/\n", f"{{file}}:1: 'ftp://a/' is not an engine address; {HINT}"),
        ("unix://\n", f"{{file}}:1: 'unix://' is not an engine address; {HINT}"),
        (
            "tcp://:2376\n",
            f"{{file}}:1: 'tcp://:2376' is not an engine address; {HINT}",
        ),
        (
            "tcp://a:99999\n",
            f"{{file}}:1: 'tcp://a:99999' is not an engine address; {HINT}",
        ),
        (
            "tcp://docker01.example.mil web\n",
            "{file}:1: 'tcp://docker01.example.mil' names no port; use "
            "tcp://HOST:PORT (an engine listens on 2376 with TLS, 2375 without)",
        ),
        (
            "\n\ntcp://a:1 x\ntcp://a:1 y\n",
            "{file}:4: tcp://a:1 is already named ({file}:3); each engine is "
            "scanned once",
        ),
        (
            "tcp://a:1 bad\x1blabel\n",
            "{file}:1: the label 'bad\\x1blabel' holds a control character",
        ),
        (b"tcp://a:1\ntcp://b:1 caf\xe9\n", "{file}:2: not UTF-8 text"),
    ],
)
def test_hosts_file_errors_name_the_file_and_line(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    hosts = tmp_path / "engines.txt"
    if isinstance(text, bytes):
        hosts.write_bytes(text)
    else:
        hosts.write_text(text)

    with pytest.raises(InputError) as caught:
        engine_targets((), hosts)

    assert str(caught.value) == message.format(file=hosts)


def test_an_endpoint_given_by_host_and_in_the_file_is_refused(tmp_path: Path) -> None:
    hosts = tmp_path / "engines.txt"
    hosts.write_text("tcp://a:1\n")

    run = CliRunner().invoke(
        main, ["evaluate", "--host", "tcp://a:1", "--hosts-file", str(hosts)]
    )

    assert run.exit_code == 1
    assert run.stderr == (
        f"Error: {hosts}:1: tcp://a:1 is already named (--host); "
        "each engine is scanned once\n"
    )


# -- File names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "host", "label", "index", "expected"),
    [
        ("out/{host}-xccdf.xml", "docker01", None, 1, "out/docker01-xccdf.xml"),
        ("out/{label}.ckl", "docker01", "web tier", 2, "out/web_tier.ckl"),
        ("out/{label}.ckl", "docker01", None, 2, "out/docker01.ckl"),
        ("{index:03d}-{host}.xml", "h", None, 7, "007-h.xml"),
        ("out/{host}.xml", "../../etc/passwd", None, 1, "out/_.._etc_passwd.xml"),
        ("out/{host}.xml", "..", None, 1, "out/engine.xml"),
        ("{{literal}}-{host}.xml", "h", None, 1, "{literal}-h.xml"),
    ],
)
def test_a_pattern_names_each_engine_s_file(
    pattern: str, host: str, label: str | None, index: int, expected: str
) -> None:
    assert NamePattern("--results", pattern).expand(host, label, index) == Path(
        expected
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("out/{hostname}.xml", "{hostname} is not a placeholder"),
        ("out/{}.xml", "{} is not a placeholder"),
        ("out/{host!r}.xml", "{host!r} is not a placeholder"),
        (
            "out/{host",
            "expected '}' before end of string; write {{ or }} for a brace itself",
        ),
        (
            "out/{index:q}.xml",
            "{index:q}: Unknown format code 'q' for object of type 'int'",
        ),
    ],
)
def test_a_bad_pattern_is_refused_with_its_option(pattern: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        NamePattern("--ckl", pattern)

    assert str(caught.value).startswith(f"--ckl {pattern!r}: {problem}")
    assert str(caught.value).endswith("(placeholders: {host}, {label}, {index})")


def test_clashing_names_get_each_engine_s_index() -> None:
    names, renamed = disambiguate(
        [
            (Path("out/h.xml"), 1),
            (Path("out/h.xml"), 2),
            (Path("out/arf.xml"), None),
            (Path("out/h-2.xml"), 3),  # meets engine 2's new name
            (Path("out/other.xml"), 4),
        ]
    )

    assert names == [
        Path("out/h-1.xml"),
        Path("out/h-2-2.xml"),
        Path("out/arf.xml"),
        Path("out/h-2-3.xml"),
        Path("out/other.xml"),
    ]
    assert len(set(names)) == len(names)
    assert {(str(item.wanted), item.index) for item in renamed} == {
        ("out/h.xml", 1),
        ("out/h.xml", 2),
        ("out/h-2.xml", 3),
    }


def test_filename_safe_keeps_letters_and_never_names_a_folder() -> None:
    assert filename_safe("docker01.example.mil") == "docker01.example.mil"
    assert filename_safe("héte-1") == "héte-1"
    assert filename_safe("a/b\\c d") == "a_b_c_d"
    assert filename_safe(".hidden") == "hidden"
    assert filename_safe("") == "engine"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--results", "out/xccdf.xml"],
            "--results 'out/xccdf.xml' names one file, but several engines are "
            "scanned: put {host}, {label} or {index} in it, e.g. "
            "'out/{host}-xccdf.xml'",
        ),
        (
            ["--cklb", "host.cklb"],
            "--cklb 'host.cklb' names one file, but several engines are scanned: "
            "put {host}, {label} or {index} in it, e.g. '{host}-host.cklb'",
        ),
        (
            ["--results-arf", "out/{host}-arf.xml"],
            "--results-arf 'out/{host}-arf.xml': this file holds every engine of "
            "the run, so it takes no {host}, {label} or {index}",
        ),
        (
            ["--json", "a.json", "--report", "a.json"],
            "--report and --json name the same file: a.json",
        ),
    ],
)
def test_names_that_cannot_work_are_refused_before_any_scan(
    tmp_path: Path, options: list[str], message: str
) -> None:
    # Neither engine exists: an error about them would mean they were asked.
    missing = [f"unix://{tmp_path}/one.sock", f"unix://{tmp_path}/two.sock"]

    run = CliRunner().invoke(
        main, ["evaluate", "-H", missing[0], "-H", missing[1], *options]
    )

    assert run.exit_code == 1
    assert run.stderr == f"Error: {message}\n"


def test_updating_a_checklist_with_several_engines_is_refused(tmp_path: Path) -> None:
    checklist = tmp_path / "host.ckl"
    checklist.write_text("<CHECKLIST/>")

    run = CliRunner().invoke(
        main,
        [
            "evaluate",
            "-H",
            "tcp://a:1",
            "-H",
            "tcp://b:1",
            "--update-ckl",
            str(checklist),
        ],
    )

    assert run.exit_code == 1
    assert run.stderr.startswith(
        "Error: --update-ckl and --update-cklb update the checklist of one host, "
        "but 2 engines are named"
    )
    assert checklist.read_text() == "<CHECKLIST/>"


# -- Real engines, some unreachable ---------------------------------------------------


def reports_by_endpoint(arf: etree._ElementTree) -> dict[str, etree._Element]:
    """Each arf:report's TestResult, by the engine endpoint fact it carries."""
    found = {}
    for report in arf.iterfind("arf:reports/arf:report", NS):
        (result,) = report.iterfind("arf:content/x:TestResult", NS)
        (fact,) = result.iterfind(f"x:target-facts/x:fact[@name='{ENDPOINT_FACT}']", NS)
        found[str(fact.text)] = report
    return found


def relation(arf: etree._ElementTree, kind: str, subject: str) -> list[str]:
    refs = []
    for item in arf.iterfind("core:relationships/core:relationship", NS):
        prefix, _, local = str(item.get("type")).partition(":")
        is_kind = item.nsmap[prefix] + local == ARF_VOCABULARY + kind
        if is_kind and item.get("subject") == subject:
            refs += [str(ref.text) for ref in item.iterfind("core:ref", NS)]
    return refs


@pytest.mark.engine
@pytest.mark.oscap
def test_unreachable_engines_do_not_stop_the_others(
    engine: PrivateEngine, second_engine: PrivateEngine, oscap: str, tmp_path: Path
) -> None:
    make_containers(engine, MIXED)
    make_containers(second_engine, ALL_READ_ONLY[:3])
    missing = f"unix://{tmp_path}/absent/docker.sock"
    closed = closed_port()
    hosts = tmp_path / "engines.txt"
    hosts.write_text(
        f"# two real engines and two that answer nothing\n"
        f"{engine.url} mixed\n{missing} gone\n\n{second_engine.url} readonly\n"
        f"{closed}\n"
    )
    out = tmp_path / "out"

    run = evaluate(
        "--hosts-file", str(hosts),
        "--results-arf", str(out / "fleet-arf.xml"),
        "--results", str(out / "{label}-xccdf.xml"),
        "--ckl", str(out / "{index}.ckl"),
        "--cklb", str(out / "{label}-{index}.cklb"),
        "--json", str(out / "fleet.json"),
        "--report", str(out / "fleet.html"),
    )  # fmt: skip

    # Exit 3: incomplete, although the engines scanned found findings (2).
    assert run.exit_code == 3, run.output
    errors = run.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(
        f"Error: {missing}: no socket at {tmp_path}/absent/docker.sock"
    )
    assert errors[1].startswith(f"Error: {closed}: connection refused")
    assert "Engines (4): 2 scanned, 2 not scanned" in run.stdout
    assert "Result: INCOMPLETE (2 of 4 engines could not be scanned" in run.stdout
    for mark in PROGRESS_MARKS:
        assert mark not in run.stdout + run.stderr

    # One file per engine scanned, named from the patterns; none for the others.
    assert sorted(path.name for path in out.iterdir()) == [
        "1.ckl",
        "3.ckl",
        "fleet-arf.xml",
        "fleet.html",
        "fleet.json",
        "mixed-1.cklb",
        "mixed-xccdf.xml",
        "readonly-3.cklb",
        "readonly-xccdf.xml",
    ]
    results = {
        name: etree.parse(out / f"{name}-xccdf.xml").findtext(
            ".//x:rule-result/x:result", namespaces=NS
        )
        for name in ("mixed", "readonly")
    }
    assert results == {"mixed": "fail", "readonly": "pass"}

    # The ARF: an asset and a report per engine scanned, each related to its own.
    arf = etree.parse(out / "fleet-arf.xml")
    subprocess.run([oscap, "ds", "rds-validate", str(out / "fleet-arf.xml")],
                   check=True, capture_output=True)  # fmt: skip
    assets = arf.findall("arf:assets/arf:asset", NS)
    assert len(assets) == 2
    assert [
        asset.findtext("ai:computing-device/ai:hostname", namespaces=NS)
        for asset in assets
    ] == [socket.gethostname()] * 2
    reports = reports_by_endpoint(arf)
    assert sorted(reports) == sorted([engine.url, second_engine.url])
    (request,) = arf.findall("arf:report-requests/arf:report-request", NS)
    about = set()
    for endpoint, report in reports.items():
        report_id = str(report.get("id"))
        assert relation(arf, "createdFor", report_id) == [request.get("id")]
        (asset_id,) = relation(arf, "isAbout", report_id)
        about.add(asset_id)
        expected = "fail" if endpoint == engine.url else "pass"
        assert report.findtext(".//x:rule-result/x:result", namespaces=NS) == expected
    assert about == {asset.get("id") for asset in assets}
    not_scanned = arf.findall(
        "arf:extended-infos/arf:extended-info/d:engine-not-scanned", NS
    )
    assert [
        (
            item.findtext("d:endpoint", namespaces=NS),
            item.findtext("d:label", namespaces=NS),
        )
        for item in not_scanned
    ] == [(missing, "gone"), (closed, None)]
    assert [
        "Error: " + str(item.findtext("d:error", namespaces=NS)) for item in not_scanned
    ] == errors

    # JSON and HTML: the engines scanned, and the ones that were not.
    document = json.loads((out / "fleet.json").read_text())
    assert [host["engine"]["endpoint"] for host in document["hosts"]] == [
        engine.url,
        second_engine.url,
    ]
    assert [host["result"] for host in document["hosts"]] == ["fail", "pass"]
    assert document["not_scanned"] == [
        {"endpoint": missing, "label": "gone", "error": errors[0][len("Error: ") :]},
        {"endpoint": closed, "label": None, "error": errors[1][len("Error: ") :]},
    ]
    page = etree.parse(out / "fleet.html")
    listed = page.xpath("//*[@class='not-scanned']/@data-endpoint")
    assert listed == [missing, closed]


@pytest.mark.engine
def test_engines_with_one_host_name_do_not_overwrite_each_other(
    engine: PrivateEngine, second_engine: PrivateEngine, tmp_path: Path
) -> None:
    make_containers(engine, MIXED[:2])  # ro-running, ro-exited: passes
    make_containers(second_engine, MIXED[4:5])  # rw-running: fails
    out = tmp_path / "out"

    run = evaluate(
        "-H", engine.url, "-H", second_engine.url,
        "--results", str(out / "{host}-xccdf.xml"),
        "--parallel", "2",
    )  # fmt: skip

    assert run.exit_code == 2, run.output  # all scanned: the rule's result
    host = filename_safe(socket.gethostname())
    first, second = out / f"{host}-xccdf-1.xml", out / f"{host}-xccdf-2.xml"
    assert sorted(out.iterdir()) == [first, second]
    endpoints = [
        etree.parse(path).findtext(f".//x:fact[@name='{ENDPOINT_FACT}']", namespaces=NS)
        for path in (first, second)
    ]
    assert endpoints == [engine.url, second_engine.url]
    assert (
        f"Renamed: engines 1 and 2 would all write {out}/{host}-xccdf.xml; "
        f"wrote {first} and {second} instead"
    ) in run.stdout
    assert "Result: FAIL (1 of 2 engines fail the rule)" in run.stdout


def test_when_no_engine_of_several_answers_nothing_is_written(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/none.sock"
    closed = closed_port()
    out = tmp_path / "out"

    run = CliRunner().invoke(
        main,
        ["evaluate", "-H", missing, "-H", closed, "--results-arf",
         str(out / "arf.xml"), "--json", str(out / "r.json")],
    )  # fmt: skip

    assert run.exit_code == 1
    lines = run.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines[:2]] == [missing, closed]
    assert lines[2:] == [
        "Error: none of the 2 engines could be scanned; no results file was written"
    ]
    assert not out.exists()


def test_a_local_engine_fails_cleanly_while_another_thread_loads_the_sdk(
    tmp_path: Path,
) -> None:
    # In a fresh process the tcp engine's thread imports the docker SDK while
    # the missing socket's error is put into words; that once read the SDK's
    # half-loaded module and crashed in most runs, so three runs are made.
    missing = f"unix://{tmp_path}/none.sock"
    closed = closed_port()
    dockscap = Path(sys.executable).with_name("dockscap")
    hint = "(is the Docker engine running? Name another with --host or DOCKER_HOST)"

    for _ in range(3):
        run = subprocess.run(
            [dockscap, "evaluate", "-H", closed, "-H", missing],
            capture_output=True,
            text=True,
            check=False,
        )

        assert run.returncode == 1, run.stderr
        assert run.stderr.splitlines() == [
            f"Error: {closed}: connection refused {hint}",
            f"Error: {missing}: no socket at {tmp_path}/none.sock {hint}",
            "Error: none of the 2 engines could be scanned; "
            "no results file was written",
        ]


def test_one_engine_from_a_hosts_file_fails_as_a_single_engine(
    tmp_path: Path,
) -> None:
    missing = f"unix://{tmp_path}/none.sock"
    hosts = tmp_path / "engines.txt"
    hosts.write_text(f"{missing} only\n")
    xccdf = tmp_path / "r.xml"

    run = CliRunner().invoke(
        main, ["evaluate", "--hosts-file", str(hosts), "--results", str(xccdf)]
    )

    assert run.exit_code == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"Error: {missing}: no socket at")
    assert not xccdf.exists()


# -- Progress --------------------------------------------------------------------------


@pytest.mark.engine
def test_on_a_terminal_the_progress_shows_containers_and_engines(
    engine: PrivateEngine, second_engine: PrivateEngine
) -> None:
    make_containers(engine, MIXED[:4])
    make_containers(second_engine, MIXED[4:6])
    benchmark = load_benchmark()
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    targets = [
        EngineTarget(engine.url, index=1),
        EngineTarget(second_engine.url, index=2),
    ]

    release = benchmark.release(None)

    def scan_one(target: EngineTarget, progress: ScanProgress) -> EngineScan:
        with connect(target.endpoint) as connection:
            return scan(connection, benchmark, release, progress=progress)

    with ProgressDisplay(console, engines=2, delay=0) as display:
        outcomes = scan_engines(targets, scan_one, display=display)

    assert [len(outcome.scan.verdicts) for outcome in outcomes if outcome.scan] == [
        4,
        2,
    ]
    drawn = terminal.getvalue()
    assert "━" in drawn
    assert "Containers" in drawn and "6/6" in drawn
    assert "Engines" in drawn and "2/2" in drawn


def evaluate_in_a_process(
    *engines: PrivateEngine, environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """dockscap evaluate of ENGINES in a process of its own, output captured."""
    dockscap = Path(sys.executable).with_name("dockscap")
    hosts = [option for engine in engines for option in ("-H", engine.url)]
    return subprocess.run(
        [dockscap, "evaluate", *hosts],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


@pytest.mark.engine
def test_without_a_terminal_there_is_no_progress_noise(
    engine: PrivateEngine, second_engine: PrivateEngine
) -> None:
    make_containers(engine, MIXED[:3])
    # Without FORCE_COLOR, whatever the environment running the tests sets.
    plain = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}

    run = evaluate_in_a_process(engine, second_engine, environment=plain)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "Engines (2): 2 scanned, 0 not scanned" in run.stdout
    for mark in PROGRESS_MARKS:
        assert mark not in run.stdout + run.stderr


@pytest.mark.engine
def test_force_color_in_a_log_brings_no_progress_noise(
    engine: PrivateEngine, second_engine: PrivateEngine
) -> None:
    # CI systems set FORCE_COLOR for colours in their logs; a log is no terminal.
    make_containers(engine, MIXED[:3])

    run = evaluate_in_a_process(
        engine, second_engine, environment={**os.environ, "FORCE_COLOR": "1"}
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "━" not in run.stderr and "\r" not in run.stderr


@pytest.mark.engine
def test_a_long_scan_on_a_terminal_shows_its_progress(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    # Standard error on a real pseudo-terminal; one engine answers, the other
    # never does, so the scan lasts until it is interrupted.
    make_containers(engine, MIXED[:2])
    silent = tmp_path / "silent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(silent))
    listener.listen(8)
    controller, terminal = pty.openpty()
    dockscap = Path(sys.executable).with_name("dockscap")

    with listener:
        run = subprocess.Popen(
            [dockscap, "evaluate", "-H", engine.url, "-H", f"unix://{silent}"],
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
        os.close(terminal)
        drawn = _read_terminal(controller, until="Engines", seconds=10)
        run.send_signal(signal.SIGINT)
        run.communicate(timeout=30)
    os.close(controller)

    assert run.returncode == 130
    assert "Containers" in drawn and "2/2" in drawn
    assert "Engines" in drawn and "1/2" in drawn
    assert "━" in drawn


def _read_terminal(controller: int, until: str, seconds: float) -> str:
    """What the program drew on the terminal, once UNTIL shows or time is up."""
    drawn = ""
    deadline = time.monotonic() + seconds
    while until not in drawn or "/2" not in drawn.partition(until)[2]:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([controller], [], [], left)
        if ready:
            drawn += os.read(controller, 4096).decode("utf-8", "replace")
    time.sleep(0.5)  # one more refresh, with the counts settled
    while select.select([controller], [], [], 0)[0]:
        drawn += os.read(controller, 4096).decode("utf-8", "replace")
    return drawn


@pytest.mark.engine
def test_ctrl_c_ends_a_run_at_once_and_writes_nothing(
    engine: PrivateEngine, tmp_path: Path
) -> None:
    # An engine that accepts the connection and never answers: its scan would
    # only end with the client's 60 s timeout.
    silent = tmp_path / "silent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(silent))
    listener.listen(8)
    out = tmp_path / "out"
    dockscap = Path(sys.executable).with_name("dockscap")

    with listener:
        run = subprocess.Popen(
            [dockscap, "evaluate", "-H", engine.url, "-H", f"unix://{silent}",
             "--results-arf", str(out / "arf.xml")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        time.sleep(2)  # both scans have started; the silent one hangs
        started = time.monotonic()
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=30)
        waited = time.monotonic() - started

    assert run.returncode == 130, stdout + stderr
    assert waited < 5
    assert stderr.strip().splitlines()[-1] == "Interrupted."
    assert not out.exists()
