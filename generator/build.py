"""Render one release of the benchmark into SCAP 1.3 content.

Four components are rendered from jinja2 templates, autoescaped and then parsed
by lxml, so each is well-formed before anything else sees it: the XCCDF 1.2
Benchmark, the OVAL definitions of its checks, a CPE dictionary and the OVAL
behind it. The source data stream is assembled from those trees with lxml, and
DISA's XCCDF 1.1 form comes from dockscap.generator.xccdf11. Nothing depends
on the clock: every timestamp is a date of the release, so the same content
renders to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from lxml import etree

from dockscap.errors import InputError
from dockscap.generator import datastream
from dockscap.generator.checks import ENGINE_API_CHECK_SYSTEM, OVAL_CHECK_SYSTEM
from dockscap.generator.model import Benchmark, Release
from dockscap.generator.names import ContentNames, content_names
from dockscap.generator.views import tailoring_context, template_context
from dockscap.generator.xccdf11 import render_disa_benchmark

__all__ = [
    "ENGINE_API_CHECK_SYSTEM",
    "OVAL_CHECK_SYSTEM",
    "ContentNames",
    "GeneratedContent",
    "GeneratedFile",
    "content_names",
    "datastream_tree",
    "render",
    "render_tailoring",
    "data_root_path",
    "xccdf_benchmark_tree",
]

# Component -> template; the data stream holds these four.
TEMPLATES = {
    "xccdf": "xccdf.xml.j2",
    "oval": "oval.xml.j2",
    "cpe_dictionary": "cpe-dictionary.xml.j2",
    "cpe_oval": "cpe-oval.xml.j2",
}


@dataclass(frozen=True)
class GeneratedFile:
    name: str
    data: bytes
    description: str


@dataclass(frozen=True)
class GeneratedContent:
    """The bytes of every file `dockscap generate` writes for one release."""

    names: ContentNames
    xccdf: bytes
    oval: bytes
    cpe_dictionary: bytes
    cpe_oval: bytes
    datastream: bytes
    disa_xccdf11: bytes

    def files(self) -> list[GeneratedFile]:
        """Each file with its name and what it is, the data stream first."""
        names = self.names
        return [
            GeneratedFile(
                names.datastream,
                self.datastream,
                "SCAP 1.3 source data stream (all four components)",
            ),
            GeneratedFile(names.xccdf, self.xccdf, "XCCDF 1.2 benchmark"),
            GeneratedFile(
                names.oval, self.oval, "OVAL 5.11.2 definitions of the check"
            ),
            GeneratedFile(
                names.cpe_dictionary,
                self.cpe_dictionary,
                "CPE 2.3 dictionary: Docker Engine installed",
            ),
            GeneratedFile(
                names.cpe_oval, self.cpe_oval, "OVAL definitions of the CPE platform"
            ),
            GeneratedFile(
                names.disa_xccdf11,
                self.disa_xccdf11,
                "DISA-style XCCDF 1.1 benchmark (STIG Viewer)",
            ),
        ]


@dataclass(frozen=True)
class _Components:
    names: ContentNames
    timestamp: str
    trees: dict[str, etree._Element]


def render(benchmark: Benchmark, release: Release) -> GeneratedContent:
    """Render every file of one release: the components, the data stream, DISA's."""
    components = _render_components(benchmark, release, engine_api_check=False)
    collection = _datastream(components)
    return GeneratedContent(
        names=components.names,
        xccdf=_serialise(components.trees["xccdf"]),
        oval=_serialise(components.trees["oval"]),
        cpe_dictionary=_serialise(components.trees["cpe_dictionary"]),
        cpe_oval=_serialise(components.trees["cpe_oval"]),
        datastream=_serialise(collection),
        disa_xccdf11=render_disa_benchmark(benchmark, release),
    )


def render_tailoring(benchmark: Benchmark, release: Release, data_root: str) -> bytes:
    """An XCCDF 1.2 Tailoring: every DISA profile again, with this Docker data root.

    Scanners take it with `--tailoring-file` and one of its profiles, named
    like xccdf_mil.disa.stig_profile_MAC-1_Classified_tailored.
    """
    context = tailoring_context(
        benchmark, release, content_names(release), data_root_path(data_root)
    )
    return _serialise(_render_template("tailoring.xml.j2", context))


def data_root_path(path: str) -> str:
    """The data root as the OVAL check joins it: absolute, no trailing slash."""
    if not path.startswith("/"):
        raise InputError(f"the Docker data root must be an absolute path: {path!r}")
    if any(ord(character) < 0x20 or character == "\x7f" for character in path):
        raise InputError(f"the Docker data root holds a control character: {path!r}")
    return path.rstrip("/") or "/"


def xccdf_benchmark_tree(
    benchmark: Benchmark, release: Release, *, engine_api_check: bool = False
) -> etree._Element:
    """The XCCDF 1.2 Benchmark element, for XCCDF results (Benchmark + TestResult).

    With engine_api_check, every rule also carries dockscap's Engine API check
    (system ENGINE_API_CHECK_SYSTEM) after its OVAL check, so that results of
    `dockscap evaluate` can name the check that really ran. The data stream
    never carries it: SCAP 1.3 allows only OVAL and OCIL check systems in a
    source data stream (SP 800-126r3, requirement SRC-118-1).
    """
    components = _render_components(
        benchmark, release, engine_api_check=engine_api_check
    )
    return components.trees["xccdf"]


def datastream_tree(benchmark: Benchmark, release: Release) -> etree._Element:
    """The ds:data-stream-collection element, for ARF's report request."""
    components = _render_components(benchmark, release, engine_api_check=False)
    return _datastream(components)


def _render_components(
    benchmark: Benchmark, release: Release, *, engine_api_check: bool
) -> _Components:
    names = content_names(release)
    context = template_context(
        benchmark, release, names, engine_api_check=engine_api_check
    )
    trees = {kind: _render_template(name, context) for kind, name in TEMPLATES.items()}
    return _Components(names, context["timestamp"], trees)


def _datastream(components: _Components) -> etree._Element:
    return datastream.assemble(components.names, components.timestamp, components.trees)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dockscap.generator", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render_template(name: str, context: dict[str, Any]) -> etree._Element:
    text = _environment().get_template(name).render(**context)
    parser = etree.XMLParser(
        remove_blank_text=True, resolve_entities=False, no_network=True
    )
    return etree.fromstring(text.encode("utf-8"), parser)


def _serialise(element: etree._Element) -> bytes:
    data: bytes = etree.tostring(
        element, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data
