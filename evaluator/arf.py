"""ARF 1.1 results (NISTIR 7694): the report request, the assets, the reports.

One asset-report-collection holds:

- `arf:report-requests`: the SCAP 1.3 source data stream the scan was made
  for (one per release scanned);
- `arf:assets`: one Asset Identification `computing-device` per engine host,
  carrying only what is certainly known and in the forms the AI 1.1 schema
  demands (hostname `[\\w\\-]+(\\.[\\w\\-]+)*`, MAC with colons, IPv6 in full
  eight-group form); no `ai:connections` at all when there is no address;
- `arf:reports`: the XCCDF 1.2 TestResult of each scan;
- `core:relationships`: each report `createdFor` its request and `isAbout` its
  asset (the arfvocab terms of NISTIR 7694, 3.3.2);
- `arf:extended-infos`, only when engines of the run could not be scanned:
  one `dockscap:engine-not-scanned` each (endpoint, label, error), so that the
  file says it does not cover them. ARF leaves this extension point open to
  other namespaces (processContents lax).

It takes a sequence of scans so that one file can carry many engines.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence

from lxml import etree

from dockscap.evaluator.evidence import xml_safe
from dockscap.evaluator.results import EngineHost, EngineScan, UnscannedEngine
from dockscap.evaluator.xccdf_results import BenchmarkReference, testresult
from dockscap.generator.build import datastream_tree, xccdf_benchmark_tree
from dockscap.namespaces import AI, ARF, ARF_VOCABULARY, CORE, DOCKSCAP, qname

# Asset Identification 1.1 mac-address-type pattern (hostname-type: below).
MAC = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")

CREATED_FOR = "arfvocab:createdFor"
IS_ABOUT = "arfvocab:isAbout"


def render_arf(
    scans: Sequence[EngineScan], unscanned: Sequence[UnscannedEngine] = ()
) -> bytes:
    """The ARF file for SCANS: UTF-8 bytes, ready to validate and write."""
    data: bytes = etree.tostring(
        arf_collection(scans, unscanned),
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
    )
    return data


def arf_collection(
    scans: Sequence[EngineScan], unscanned: Sequence[UnscannedEngine] = ()
) -> etree._Element:
    """One asset-report-collection: a request per release, an asset and a report
    per scan, their relationships, and the engines that could not be scanned."""
    if not scans:
        raise ValueError("an ARF report needs at least one scan")

    collection = etree.Element(
        qname("arf", "asset-report-collection"),
        nsmap={"arf": ARF, "core": CORE, "ai": AI},
    )
    relationships = etree.SubElement(
        collection, qname("core", "relationships"), nsmap={"arfvocab": ARF_VOCABULARY}
    )
    requests = etree.SubElement(collection, qname("arf", "report-requests"))
    assets = etree.SubElement(collection, qname("arf", "assets"))
    reports = etree.SubElement(collection, qname("arf", "reports"))

    request_ids: dict[str, tuple[str, BenchmarkReference]] = {}
    for index, scan in enumerate(scans):
        release = scan.release.name
        if release not in request_ids:
            request_id = f"collection{len(request_ids)}"
            reference = _report_request(requests, request_id, scan)
            request_ids[release] = (request_id, reference)
        request_id, reference = request_ids[release]

        asset_id, report_id = f"asset{index}", f"xccdf{index}"
        _asset(assets, asset_id, scan.engine)
        number = index if len(scans) > 1 else None
        _report(reports, report_id, scan, reference, number)
        _relate(relationships, CREATED_FOR, report_id, request_id)
        _relate(relationships, IS_ABOUT, report_id, asset_id)

    if unscanned:
        infos = etree.SubElement(collection, qname("arf", "extended-infos"))
        for index, engine in enumerate(unscanned):
            _not_scanned(infos, f"not-scanned{index}", engine)
    return collection


def _not_scanned(infos: etree._Element, info_id: str, engine: UnscannedEngine) -> None:
    info = etree.SubElement(infos, qname("arf", "extended-info"), id=info_id)
    holder = etree.SubElement(
        info, qname("dockscap", "engine-not-scanned"), nsmap={"dockscap": DOCKSCAP}
    )
    etree.SubElement(holder, qname("dockscap", "endpoint")).text = xml_safe(
        engine.endpoint, "an endpoint"
    )
    if engine.label:
        etree.SubElement(holder, qname("dockscap", "label")).text = xml_safe(
            engine.label, "an engine label"
        )
    etree.SubElement(holder, qname("dockscap", "error")).text = xml_safe(
        engine.problem, "an engine error"
    )


def _report_request(
    requests: etree._Element, request_id: str, scan: EngineScan
) -> BenchmarkReference:
    """Add the source data stream as a report request; return where its Benchmark is."""
    request = etree.SubElement(requests, qname("arf", "report-request"), id=request_id)
    content = etree.SubElement(request, qname("arf", "content"))
    datastream = datastream_tree(scan.benchmark, scan.release)
    content.append(datastream)

    for component in datastream.iterfind(qname("ds", "component")):
        benchmark = component.find(qname("xccdf", "Benchmark"))
        if benchmark is not None:
            return BenchmarkReference(
                href=f"#{component.get('id')}", id=str(benchmark.get("id"))
            )
    raise ValueError("the data stream has no XCCDF Benchmark component")


def _report(
    reports: etree._Element,
    report_id: str,
    scan: EngineScan,
    reference: BenchmarkReference,
    number: int | None,
) -> None:
    report = etree.SubElement(reports, qname("arf", "report"), id=report_id)
    content = etree.SubElement(report, qname("arf", "content"))
    rules = xccdf_benchmark_tree(scan.benchmark, scan.release, engine_api_check=True)
    content.append(testresult(scan, rules, reference, number))


def _relate(relationships: etree._Element, kind: str, subject: str, ref: str) -> None:
    relationship = etree.SubElement(
        relationships, qname("core", "relationship"), type=kind, subject=subject
    )
    etree.SubElement(relationship, qname("core", "ref")).text = ref


def _asset(assets: etree._Element, asset_id: str, host: EngineHost) -> None:
    asset = etree.SubElement(assets, qname("arf", "asset"), id=asset_id)
    device = etree.SubElement(asset, qname("ai", "computing-device"))

    connections = computing_device_connections(host)
    if connections:
        holder = etree.SubElement(device, qname("ai", "connections"))
        for address, mac in connections:
            _connection(holder, address, mac)
    if host.fqdn and is_ai_hostname(host.fqdn):
        etree.SubElement(device, qname("ai", "fqdn")).text = host.fqdn
    name = xml_safe(host.name, "the asset's host name")
    if is_ai_hostname(name):
        etree.SubElement(device, qname("ai", "hostname")).text = name


def is_ai_hostname(text: str) -> bool:
    """Whether TEXT matches Asset Identification 1.1's hostname-type pattern,
    `[\\w\\-]+(\\.[\\w\\-]+)*`, read as XML Schema reads it.

    XML Schema's \\w is every character but punctuation, separators and
    "other" (XML Schema Part 2, appendix F): unlike Python's \\w it takes
    symbols such as $ and refuses the underscore, a connector punctuation.
    """
    return all(
        label and all(char == "-" or _xsd_word(char) for char in label)
        for label in text.split(".")
    )


def _xsd_word(char: str) -> bool:
    return unicodedata.category(char)[0] not in "PZC"


def computing_device_connections(
    host: EngineHost,
) -> list[tuple[str | None, str | None]]:
    """(address, MAC) pairs for ai:connection, each in the form AI 1.1 requires.

    A single MAC belongs with every address (one interface); with several MACs
    the pairing is not known, so each stands in a connection of its own.
    """
    addresses = [_ai_address(text) for text in host.ip_addresses]
    valid = [address for address in addresses if address]
    macs = [mac.lower() for mac in host.mac_addresses if MAC.match(mac)]
    if len(macs) == 1:
        if not valid:
            return [(None, macs[0])]
        return [(address, macs[0]) for address in valid]
    pairs: list[tuple[str | None, str | None]] = [(address, None) for address in valid]
    pairs.extend((None, mac) for mac in macs)
    return pairs


def _connection(holder: etree._Element, address: str | None, mac: str | None) -> None:
    connection = etree.SubElement(holder, qname("ai", "connection"))
    if address:
        version = "ip-v6" if ":" in address else "ip-v4"
        ip = etree.SubElement(connection, qname("ai", "ip-address"))
        etree.SubElement(ip, qname("ai", version)).text = address
    if mac:
        etree.SubElement(connection, qname("ai", "mac-address")).text = mac


def _ai_address(text: str) -> str | None:
    """IPv4 dotted quad, IPv6 in full eight-group form; None when it is neither."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.exploded
