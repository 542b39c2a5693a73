"""One problem found in a document."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: a line when the parser knew one, and a path.

    `path` is XPath-like for XML ("/cdf:Benchmark/cdf:Rule[2]", with the
    document's own prefixes) and a JSON path for CKLB ("stigs[0].rules[3].status").
    """

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"line {self.line}: {self.path}"
        return f"{where}: {self.message}"

    def located(self, source: str) -> str:
        """`FILE:LINE: PATH: message`, the form `dockscap validate` prints."""
        where = source if self.line is None else f"{source}:{self.line}"
        return f"{where}: {self.path}: {self.message}"


def element_path(element: etree._Element) -> str:
    """An XPath to `element` with the document's own prefixes.

    xmlschema's paths fall back to {namespace}names for elements whose prefix
    is declared below the root (every component of a data stream).
    """
    steps = [_step(node) for node in (element, *element.iterancestors())]
    return "/" + "/".join(reversed(steps))


def _step(node: etree._Element) -> str:
    local = etree.QName(node).localname
    name = f"{node.prefix}:{local}" if node.prefix else local
    parent = node.getparent()
    if parent is None:
        return name
    twins = [sibling for sibling in parent if sibling.tag == node.tag]
    if len(twins) == 1:
        return name
    return f"{name}[{twins.index(node) + 1}]"
