"""The file names of one release's content.

The components refer to each other by these names (check-content-ref and CPE
check hrefs), and the data stream's catalogs map the same names back to its
components, so they are worked out in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockscap.generator.model import Release


@dataclass(frozen=True)
class ContentNames:
    """`dockscap-docker-<release>` and the file name of each component."""

    name: str

    @property
    def xccdf(self) -> str:
        return f"{self.name}-xccdf.xml"

    @property
    def oval(self) -> str:
        return f"{self.name}-oval.xml"

    @property
    def cpe_dictionary(self) -> str:
        return f"{self.name}-cpe-dictionary.xml"

    @property
    def cpe_oval(self) -> str:
        return f"{self.name}-cpe-oval.xml"

    @property
    def datastream(self) -> str:
        return f"{self.name}-ds.xml"

    @property
    def tailoring(self) -> str:
        """A site's tailoring of the profiles, such as its Docker data root."""
        return f"{self.name}-tailoring.xml"

    @property
    def disa_xccdf11(self) -> str:
        """DISA's manual-benchmark form in XCCDF 1.1 (dockscap.generator.xccdf11)."""
        return f"{self.name}_Manual-xccdf.xml"


def content_names(release: Release) -> ContentNames:
    return ContentNames(f"dockscap-docker-{release.name}")
