"""dockscap's HTML report (`evaluate --report`): the checks that can honestly be made.

No schema describes the report, and dockscap has no HTML validator, so this
checks what the report promises and nothing more:

- it opens with exactly the HTML5 doctype `<!DOCTYPE html>`, which is set aside
  before the rest is parsed with dockscap.safexml, so any other DOCTYPE (one
  declaring entities above all) is refused as in every other document;
- the rest is well-formed XML (the page is written as polyglot HTML);
- it is self-contained: no src, href, srcset, poster, data, action or
  formaction points outside the page (only #fragments and data: URLs), and
  no inline CSS imports a style sheet or refers to a url() outside it;
- it names dockscap in `<meta name="generator" content="dockscap VERSION">`.

What its inline script does when run is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from dockscap.errors import InputError, InvalidDocumentError
from dockscap.safexml import parse_xml_bytes
from dockscap.schemas.problems import Problem, element_path

HTML_REPORT_KIND = "dockscap HTML report, well-formed and self-contained"

# The doctype the report template opens with, byte for byte.
HTML5_DOCTYPE = b"<!DOCTYPE html>"
GENERATOR = "dockscap"

# Attributes whose value is a URL the browser loads or goes to.
_URL_ATTRIBUTES = ("src", "href", "srcset", "poster", "data", "action", "formaction")
# In CSS: @import, and every url(...) with its argument.
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_SHOWN = 5


def is_html_report(data: bytes) -> bool:
    """True for a document that opens as dockscap's report does."""
    return data.startswith(HTML5_DOCTYPE)


def validate_html_report(data: bytes, *, source: str) -> list[Problem]:
    """Every problem of the report; InputError when it is not well-formed XML."""
    if not is_html_report(data):
        raise InputError(
            f"{source}: the HTML report does not open with {HTML5_DOCTYPE.decode()}"
        )

    # Blanks keep every line and column where they were.
    body = b" " * len(HTML5_DOCTYPE) + data[len(HTML5_DOCTYPE) :]
    root = parse_xml_bytes(body, source=source, what="HTML report").getroot()

    problems = []
    if etree.QName(root).localname != "html":
        problems.append(_at(root, "the root element is not html"))
    problems += _generator(root)
    problems += _outside_references(root)
    return problems


def assert_sound_html_report(data: bytes, *, source: str) -> None:
    """Raise InvalidDocumentError naming `source` and its first problems."""
    try:
        problems = validate_html_report(data, source=source)
    except InputError as error:
        raise InvalidDocumentError(str(error)) from error

    if problems:
        shown = "; ".join(str(problem) for problem in problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise InvalidDocumentError(
            f"{source} is not a sound HTML report: {shown}{more}"
        )


def _outside_references(root: etree._Element) -> list[Problem]:
    problems = []
    for element in _elements(root):
        for name, value in element.attrib.items():
            local = etree.QName(name).localname
            if local in _URL_ATTRIBUTES:
                problems += _check_urls(element, local, _urls(local, value))
            elif local == "style":
                problems += _check_css(element, value)
        if etree.QName(element).localname == "style":
            problems += _check_css(element, element.text or "")
    return problems


def _urls(attribute: str, value: str) -> list[str]:
    # srcset lists "URL [descriptor]" candidates separated by commas.
    if attribute != "srcset":
        return [value]
    return [candidate.split()[0] for candidate in value.split(",") if candidate.split()]


def _check_urls(element: etree._Element, name: str, urls: list[str]) -> list[Problem]:
    return [
        _at(
            element,
            f"{name}={url!r} refers outside the page, which must be self-contained "
            "(only #fragments and data: URLs)",
        )
        for url in urls
        if not _inside(url)
    ]


def _check_css(element: etree._Element, css: str) -> list[Problem]:
    problems = []
    if _CSS_IMPORT.search(css):
        problems.append(
            _at(element, "CSS @import loads a style sheet from outside the page")
        )
    for match in _CSS_URL.finditer(css):
        if not _inside(match.group(2)):
            problems.append(
                _at(
                    element,
                    f"CSS url({match.group(2)!r}) refers outside the page, which "
                    "must be self-contained (only #fragments and data: URLs)",
                )
            )
    return problems


def _inside(url: str) -> bool:
    """True for a URL that stays in the page: a #fragment or data: URL."""
    # Browsers strip surrounding whitespace from URLs, and schemes are
    # case-insensitive.
    text = url.strip()
    return text.startswith("#") or text.lower().startswith("data:")


def _generator(root: etree._Element) -> list[Problem]:
    metas = [
        element
        for element in _elements(root)
        if etree.QName(element).localname == "meta"
        and element.get("name") == "generator"
    ]
    if not metas:
        return [
            _at(
                root,
                f'no <meta name="generator" content="{GENERATOR} VERSION">: '
                "not a report dockscap wrote",
            )
        ]

    content = metas[0].get("content") or ""
    if content.split(" ")[0] == GENERATOR:
        return []
    return [
        _at(
            metas[0],
            f"the generator is {content!r}, not {GENERATOR}: "
            "not a report dockscap wrote",
        )
    ]


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    # Comments and processing instructions have no attributes to check.
    return (element for element in root.iter() if isinstance(element.tag, str))


def _at(element: etree._Element, message: str) -> Problem:
    return Problem(element.sourceline, element_path(element), message)
