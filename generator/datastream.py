"""Assemble a SCAP 1.3 source data stream (NIST SP 800-126r3) with lxml.

The components are whole documents, so they are appended as parsed trees
rather than pasted into a template.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from lxml import etree

from dockscap.generator.names import ContentNames
from dockscap.namespaces import NSMAP, qname

# Ids of the data stream's own parts are scap_<namespace>_<type>_<name> (SCAP
# 1.3, SP 800-126r3); the namespace is dockscap's, since dockscap assembles it.
DATASTREAM_NAMESPACE = "dockscap"


def assemble(
    names: ContentNames, timestamp: str, trees: Mapping[str, etree._Element]
) -> etree._Element:
    """A ds:data-stream-collection holding the four components of `trees`.

    `trees` maps "xccdf", "oval", "cpe_dictionary" and "cpe_oval" to the root
    element of each component. Every component-ref whose component has hrefs
    carries a catalog mapping those file names to component-refs of this data
    stream, so that every href resolves inside it.
    """
    collection = etree.Element(
        qname("ds", "data-stream-collection"),
        nsmap={prefix: NSMAP[prefix] for prefix in ("ds", "xlink", "cat")},
        id=scap_id("collection", names.name),
        attrib={"schematron-version": "1.3"},
    )
    stream = etree.SubElement(
        collection,
        qname("ds", "data-stream"),
        id=scap_id("datastream", names.name),
        attrib={
            "use-case": "CONFIGURATION",
            "scap-version": "1.3",
            "timestamp": timestamp,
        },
    )

    # (section, component, hrefs inside it), in the schema's section order.
    layout = (
        ("dictionaries", names.cpe_dictionary, (names.cpe_oval,)),
        ("checklists", names.xccdf, (names.oval,)),
        ("checks", names.oval, ()),
        ("checks", names.cpe_oval, ()),
    )
    sections: dict[str, etree._Element] = {}
    for section, file_name, hrefs in layout:
        if section not in sections:
            sections[section] = etree.SubElement(stream, qname("ds", section))
        _component_ref(sections[section], file_name, hrefs)

    for kind, file_name in (
        ("cpe_dictionary", names.cpe_dictionary),
        ("xccdf", names.xccdf),
        ("oval", names.oval),
        ("cpe_oval", names.cpe_oval),
    ):
        component = etree.SubElement(
            collection,
            qname("ds", "component"),
            id=scap_id("comp", file_name),
            timestamp=timestamp,
        )
        component.append(copy.deepcopy(trees[kind]))
    return collection


def scap_id(kind: str, name: str) -> str:
    """scap_dockscap_<kind>_<name>: kind is collection, datastream, comp or cref."""
    return f"scap_{DATASTREAM_NAMESPACE}_{kind}_{name}"


def _component_ref(
    section: etree._Element, file_name: str, hrefs: tuple[str, ...]
) -> None:
    ref = etree.SubElement(
        section,
        qname("ds", "component-ref"),
        id=scap_id("cref", file_name),
        attrib={qname("xlink", "href"): f"#{scap_id('comp', file_name)}"},
    )
    if not hrefs:
        return

    catalog = etree.SubElement(ref, qname("cat", "catalog"))
    for href in hrefs:
        etree.SubElement(
            catalog, qname("cat", "uri"), name=href, uri=f"#{scap_id('cref', href)}"
        )
