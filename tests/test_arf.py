"""ARF 1.1 results: valid for `oscap ds rds-validate`, built as NISTIR 7694 says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from evaluate_support import MIXED, RULE_IDS, hand_scan, make_containers, real_scan
from lxml import etree
from private_engine import PrivateEngine

from dockscap.cli import main
from dockscap.evaluator.arf import render_arf
from dockscap.evaluator.results import EngineHost
from dockscap.namespaces import AI, ARF, ARF_VOCABULARY, CORE, DS, XCCDF_12
from dockscap.schemas import assert_valid

NS = {"arf": ARF, "core": CORE, "ai": AI, "ds": DS, "x": XCCDF_12}


def rds_validates(oscap: str, path: Path) -> None:
    run = subprocess.run(
        [oscap, "ds", "rds-validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def relationships(root: etree._Element) -> set[tuple[str, str, str]]:
    """(type as a URI, subject, ref) of every core:relationship."""
    found = set()
    for item in root.iterfind("core:relationships/core:relationship", NS):
        prefix, _, local = str(item.get("type")).partition(":")
        uri = item.nsmap[prefix] + local
        for ref in item.iterfind("core:ref", NS):
            found.add((uri, str(item.get("subject")), str(ref.text)))
    return found


def device(root: etree._Element) -> etree._Element:
    (found,) = root.iterfind("arf:assets/arf:asset/ai:computing-device", NS)
    return found


@pytest.mark.engine
@pytest.mark.oscap
def test_an_arf_of_a_real_engine_is_valid_and_related(
    engine: PrivateEngine, oscap: str, tmp_path: Path
) -> None:
    make_containers(engine, MIXED)
    data = render_arf([real_scan(engine, "V1R1")])
    path = tmp_path / "arf.xml"
    path.write_bytes(data)

    rds_validates(oscap, path)
    assert_valid(data, source=str(path))
    root = etree.fromstring(data)

    (request,) = root.iterfind("arf:report-requests/arf:report-request", NS)
    (asset,) = root.iterfind("arf:assets/arf:asset", NS)
    (report,) = root.iterfind("arf:reports/arf:report", NS)
    assert relationships(root) == {
        (ARF_VOCABULARY + "createdFor", report.get("id"), request.get("id")),
        (ARF_VOCABULARY + "isAbout", report.get("id"), asset.get("id")),
    }

    (datastream,) = request.iterfind("arf:content/ds:data-stream-collection", NS)
    (result,) = report.iterfind("arf:content/x:TestResult", NS)
    (reference,) = result.iterfind("x:benchmark", NS)
    component = datastream.find(
        f"ds:component[@id='{reference.get('href', '').lstrip('#')}']", NS
    )
    assert component is not None
    benchmark = component.find("x:Benchmark", NS)
    assert benchmark is not None
    assert benchmark.get("id") == reference.get("id")

    (rule_result,) = result.iterfind("x:rule-result", NS)
    assert rule_result.get("idref") == f"xccdf_mil.disa.stig_rule_{RULE_IDS['V1R1']}"
    assert rule_result.findtext("x:result", namespaces=NS) == "fail"
    with engine.client() as client:
        host_name = client.info()["Name"]
    assert device(root).findtext("ai:hostname", namespaces=NS) == host_name
    assert result.findtext("x:target", namespaces=NS) == host_name


@pytest.mark.oscap
@pytest.mark.parametrize(
    ("host", "connections", "hostname"),
    [
        (
            EngineHost(
                "tcp://[fd00::2]:2376",
                "docker-01",
                fqdn="docker-01.example.mil",
                ip_addresses=("192.0.2.7", "fd00::2"),
                mac_addresses=("02:FC:00:00:00:01",),
            ),
            [
                ("192.0.2.7", "02:fc:00:00:00:01"),
                ("fd00:0000:0000:0000:0000:0000:0000:0002", "02:fc:00:00:00:01"),
            ],
            "docker-01",
        ),
        (EngineHost("ssh://admin@host", "no-addresses"), [], "no-addresses"),
        (
            EngineHost(
                "unix:///run/docker.sock",
                "two macs & a bad name",
                ip_addresses=("not-an-address", "192.0.2.9"),
                mac_addresses=(
                    "02:00:00:00:00:0a",
                    "02-00-00-00-00-0b",
                    "02:00:00:00:00:0c",
                ),
            ),
            [
                ("192.0.2.9", None),
                (None, "02:00:00:00:00:0a"),
                (None, "02:00:00:00:00:0c"),
            ],
            None,
        ),
    ],
    ids=["full", "nothing-known", "odd"],
)
def test_asset_identification_holds_only_well_formed_facts(
    host: EngineHost,
    connections: list[tuple[str | None, str | None]],
    hostname: str | None,
    oscap: str,
    tmp_path: Path,
) -> None:
    data = render_arf([hand_scan("V2R2", {}, host=host)])
    path = tmp_path / "arf.xml"
    path.write_bytes(data)

    rds_validates(oscap, path)
    found = [
        (
            connection.findtext("ai:ip-address/*", namespaces=NS),
            connection.findtext("ai:mac-address", namespaces=NS),
        )
        for connection in device(etree.fromstring(data)).iterfind(
            "ai:connections/ai:connection", NS
        )
    ]
    assert found == connections
    if not connections:
        assert device(etree.fromstring(data)).find("ai:connections", NS) is None
    assert device(etree.fromstring(data)).findtext("ai:hostname", namespaces=NS) == (
        hostname
    )
    assert device(etree.fromstring(data)).findtext("ai:fqdn", namespaces=NS) == (
        host.fqdn
    )


@pytest.mark.engine
@pytest.mark.oscap
def test_evaluate_writes_both_files_valid(
    engine: PrivateEngine, oscap: str, tmp_path: Path
) -> None:
    make_containers(engine, MIXED[:2])
    arf, xccdf = tmp_path / "out" / "arf.xml", tmp_path / "out" / "xccdf.xml"

    run = CliRunner().invoke(
        main,
        [
            "evaluate",
            "--host",
            engine.url,
            "--results-arf",
            str(arf),
            "--results",
            str(xccdf),
        ],
    )

    assert run.exit_code == 0, run.output + run.stderr
    assert f"Wrote ARF 1.1: {arf}" in run.output
    rds_validates(oscap, arf)
    assert etree.parse(xccdf).getroot().tag == f"{{{XCCDF_12}}}Benchmark"
    assert sorted(path.name for path in arf.parent.iterdir()) == [
        "arf.xml",
        "xccdf.xml",
    ]


@pytest.mark.oscap
def test_one_arf_holds_many_engines_each_related_to_its_own_request(
    oscap: str, tmp_path: Path
) -> None:
    host = EngineHost("tcp://192.0.2.7:2376", "docker-01")  # twice: same name
    scans = [
        hand_scan("V1R1", {"a": {"HostConfig": {"ReadonlyRootfs": False}}}, host=host),
        hand_scan("V2R2", {"b": {"HostConfig": {"ReadonlyRootfs": True}}}, host=host),
        hand_scan("V2R2", {}, host=EngineHost("unix:///run/docker.sock", "other")),
    ]
    data = render_arf(scans)
    path = tmp_path / "arf.xml"
    path.write_bytes(data)

    rds_validates(oscap, path)
    root = etree.fromstring(data)
    requests = root.findall("arf:report-requests/arf:report-request", NS)
    assets = root.findall("arf:assets/arf:asset", NS)
    reports = root.findall("arf:reports/arf:report", NS)
    assert (len(requests), len(assets), len(reports)) == (2, 3, 3)

    created_for = {
        subject: ref
        for uri, subject, ref in relationships(root)
        if uri == ARF_VOCABULARY + "createdFor"
    }
    for report, scan in zip(reports, scans, strict=True):
        (request,) = [
            r for r in requests if r.get("id") == created_for[report.get("id")]
        ]
        stream = request.find("arf:content/ds:data-stream-collection", NS)
        assert stream is not None
        assert scan.release.name in str(stream.get("id"))
    results = root.findall("arf:reports/arf:report/arf:content/x:TestResult", NS)
    assert len({result.get("id") for result in results}) == 3
    assert [r.findtext("x:rule-result/x:result", namespaces=NS) for r in results] == [
        "fail",
        "pass",
        "pass",
    ]
