"""dockscap's benchmark in DISA's own XCCDF 1.1 form, for STIG Viewer.

STIG Viewer creates checklists only from benchmarks shaped the way DISA ships
them (`U_<name>_STIG_V2R2_Manual-xccdf.xml`): one Group per Vuln ID titled with
its SRG, one Rule inside it whose description is an escaped pseudo-XML text of
named fields, idents for CCIs and legacy ids, a fixtext with its fix, a manual
check with its check-content, and the release in a plain-text. This module
writes that shape from the rule model for one release.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from dockscap import __version__
from dockscap.generator.model import Benchmark, Release, Rule
from dockscap.namespaces import DC, XCCDF_11, XML, XSI

# Where DISA's files point xsi:schemaLocation for XCCDF 1.1.
SCHEMA_LOCATION = f"{XCCDF_11} http://nvd.nist.gov/schema/xccdf-1.1.4.xsd"

# Placeholders DISA leaves empty in every Group and Profile description.
GROUP_DESCRIPTION = "<GroupDescription></GroupDescription>"
PROFILE_DESCRIPTION = "<ProfileDescription></ProfileDescription>"

# A manual check: STIG Viewer shows check-content-ref name "M" as manual.
MANUAL_CHECK = "M"


@dataclass(frozen=True)
class _FileStyle:
    """How DISA's files differ between major versions, which the model does not say.

    Version 1 files (2019) have no front-matter, rear-matter or generator and
    conventionsVersion plain-texts, and point check-content-ref at a
    DPMS_XCCDF_Benchmark_ file; version 2 files (2021 on) have all of these.
    """

    check_href: str
    conventions_version: str | None


_STYLES = {
    "1": _FileStyle(
        "DPMS_XCCDF_Benchmark_Docker_Enterprise_2-x_Linux-UNIX_STIG.xml", None
    ),
    "2": _FileStyle("Docker_Enterprise_2-x_Linux-UNIX__STIG.xml", "1.10.0"),
}


def render_disa_benchmark(benchmark: Benchmark, release: Release) -> bytes:
    """The whole benchmark for one release, as DISA would publish it."""
    style = _STYLES.get(release.version, _STYLES["2"])
    root = etree.Element(_x("Benchmark"), nsmap={None: XCCDF_11, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("id", benchmark.id)
    root.set(f"{{{XML}}}lang", "en")

    _front(root, benchmark, release, style)
    for profile in benchmark.profiles:
        _profile(root, profile.id, profile.title, benchmark, release)
    for rule in benchmark.rules:
        _group(root, rule, release, style)

    data: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="utf-8", pretty_print=True
    )
    return data


def _front(
    root: etree._Element, benchmark: Benchmark, release: Release, style: _FileStyle
) -> None:
    """Everything before the Profiles, in the order XCCDF 1.1 and DISA keep."""
    _sub(root, "status", "accepted", date=release.status_date.isoformat())
    _sub(root, "title", benchmark.title)
    _sub(root, "description", release.description)
    _sub(root, "notice", "", id="terms-of-use", lang="en")
    if style.conventions_version:
        _sub(root, "front-matter", "", lang="en")
        _sub(root, "rear-matter", "", lang="en")

    reference = _sub(root, "reference", None, href=release.reference_href)
    _dc(reference, "publisher", benchmark.publisher)
    _dc(reference, "source", benchmark.source)

    _sub(root, "plain-text", release.release_info, id="release-info")
    if style.conventions_version:
        # DISA names its own tool here; ours is the truthful answer.
        _sub(root, "plain-text", f"dockscap {__version__}", id="generator")
        _sub(root, "plain-text", style.conventions_version, id="conventionsVersion")
    _sub(root, "version", release.version)


def _profile(
    root: etree._Element,
    profile_id: str,
    title: str,
    benchmark: Benchmark,
    release: Release,
) -> None:
    profile = _sub(root, "Profile", None, id=profile_id)
    _sub(profile, "title", title)
    _sub(profile, "description", PROFILE_DESCRIPTION)
    for rule in benchmark.rules:
        _sub(
            profile, "select", None, idref=rule.ids(release.name).group, selected="true"
        )


def _group(
    root: etree._Element, rule: Rule, release: Release, style: _FileStyle
) -> None:
    ids = rule.ids(release.name)
    group = _sub(root, "Group", None, id=ids.group)
    _sub(group, "title", rule.srg)
    _sub(group, "description", GROUP_DESCRIPTION)

    element = _sub(
        group,
        "Rule",
        None,
        id=ids.rule,
        weight=f"{rule.weight:.1f}",
        severity=rule.severity,
    )
    _sub(element, "version", rule.stig_id)
    _sub(element, "title", rule.title)
    _sub(element, "description", _rule_description(rule))
    _reference(element, release)
    if release.legacy_system:
        for legacy in ids.legacy:
            _sub(element, "ident", legacy, system=release.legacy_system)
    for cci in rule.cci:
        _sub(element, "ident", cci, system=release.cci_system)

    _sub(element, "fixtext", rule.fix_text, fixref=ids.fix)
    _sub(element, "fix", None, id=ids.fix)
    check = _sub(element, "check", None, system=ids.check)
    _sub(check, "check-content-ref", None, href=style.check_href, name=MANUAL_CHECK)
    _sub(check, "check-content", rule.check_text)


def _rule_description(rule: Rule) -> str:
    """DISA's pseudo-XML description, as text: lxml escapes it once, as DISA's is.

    The fields are DISA's (evaluator/disa_benchmark.py reads them back by name);
    the rule model holds the discussion and Documentable, DISA leaves the rest
    empty for this rule.
    """
    fields = {
        "VulnDiscussion": rule.discussion,
        "FalsePositives": "",
        "FalseNegatives": "",
        "Documentable": "true" if rule.documentable else "false",
        "Mitigations": "",
        "SeverityOverrideGuidance": "",
        "PotentialImpacts": "",
        "ThirdPartyTools": "",
        "MitigationControl": "",
        "Responsibility": "",
        "IAControls": "",
    }
    return "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())


def _reference(rule: etree._Element, release: Release) -> None:
    """The DPMS target: how DISA's tools tie the rule to its product."""
    target = release.dpms_target
    reference = _sub(rule, "reference", None)
    _dc(reference, "title", target.title)
    _dc(reference, "publisher", "DISA")
    _dc(reference, "type", "DPMS Target")
    _dc(reference, "subject", target.subject)
    _dc(reference, "identifier", target.identifier)


def _x(local: str) -> str:
    return f"{{{XCCDF_11}}}{local}"


def _sub(
    parent: etree._Element, local: str, text: str | None, **attributes: str
) -> etree._Element:
    """A child in the XCCDF 1.1 namespace; `lang` becomes xml:lang."""
    element = etree.SubElement(parent, _x(local))
    for name, value in attributes.items():
        key = f"{{{XML}}}lang" if name == "lang" else name
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def _dc(parent: etree._Element, local: str, text: str) -> None:
    etree.SubElement(parent, f"{{{DC}}}{local}").text = text
