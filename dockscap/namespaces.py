"""dockscap's one namespace map: every XML writer and reader takes its URIs here."""

from __future__ import annotations

XCCDF_12 = "http://checklists.nist.gov/xccdf/1.2"
XCCDF_11 = "http://checklists.nist.gov/xccdf/1.1"
OVAL_COMMON = "http://oval.mitre.org/XMLSchema/oval-common-5"
OVAL_DEFINITIONS = "http://oval.mitre.org/XMLSchema/oval-definitions-5"
OVAL_INDEPENDENT = "http://oval.mitre.org/XMLSchema/oval-definitions-5#independent"
OVAL_UNIX = "http://oval.mitre.org/XMLSchema/oval-definitions-5#unix"
OVAL_LINUX = "http://oval.mitre.org/XMLSchema/oval-definitions-5#linux"
OVAL_RESULTS = "http://oval.mitre.org/XMLSchema/oval-results-5"
CPE_DICTIONARY = "http://cpe.mitre.org/dictionary/2.0"
CPE_LANGUAGE = "http://cpe.mitre.org/language/2.0"
CPE_EXTENSION_23 = "http://scap.nist.gov/schema/cpe-extension/2.3"
DS = "http://scap.nist.gov/schema/scap/source/1.2"
CATALOG = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
XLINK = "http://www.w3.org/1999/xlink"
ARF = "http://scap.nist.gov/schema/asset-reporting-format/1.1"
CORE = "http://scap.nist.gov/schema/reporting-core/1.1"
AI = "http://scap.nist.gov/schema/asset-identification/1.1"
DC = "http://purl.org/dc/elements/1.1/"
XHTML = "http://www.w3.org/1999/xhtml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
# The namespace of xml:lang, bound to the prefix `xml` by XML itself.
XML = "http://www.w3.org/XML/1998/namespace"

# dockscap's own elements, where a standard leaves room for them (ARF
# extended-info); under the reserved .invalid domain (RFC 2606).
DOCKSCAP = "https://dockscap.invalid/xml/results/1"

# The ARF relationship vocabulary (NISTIR 7694, 3.3.2).
ARF_VOCABULARY = "http://scap.nist.gov/specifications/arf/vocabulary/relationships/1.0#"

NSMAP = {
    "xccdf": XCCDF_12,
    "oval": OVAL_COMMON,
    "oval-def": OVAL_DEFINITIONS,
    "ind": OVAL_INDEPENDENT,
    "unix": OVAL_UNIX,
    "linux": OVAL_LINUX,
    "cpe-dict": CPE_DICTIONARY,
    "cpe-lang": CPE_LANGUAGE,
    "cpe-23": CPE_EXTENSION_23,
    "ds": DS,
    "cat": CATALOG,
    "xlink": XLINK,
    "arf": ARF,
    "core": CORE,
    "ai": AI,
    "dc": DC,
    "xhtml": XHTML,
    "xsi": XSI,
    "dsig": DSIG,
    "dockscap": DOCKSCAP,
}


def qname(prefix: str, local: str) -> str:
    """Clark notation for lxml: qname("xccdf", "Rule") -> "{http://...}Rule"."""
    return f"{{{NSMAP[prefix]}}}{local}"
