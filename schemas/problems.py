"""One problem found in a document."""

from __future__ import annotations

from dataclasses import dataclass


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
