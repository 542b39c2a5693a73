"""Read a DISA STIG benchmark in DISA's XCCDF 1.1 form, as STIG Viewer reads it.

A user hands one in with `--stig` to get a checklist of the whole STIG; dockscap
also reads its own DISA-form benchmark (generator/xccdf11.py) the same way, so a
checklist made from content/ and one made from DISA's file come out alike.

DISA packs several fields into one escaped pseudo-XML text in each Rule's
description (`<VulnDiscussion>…</VulnDiscussion><Documentable>false</Documentable>…`);
the fields are taken out of that text by name, never by parsing it as XML,
because DISA does not escape the text inside them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from dockscap.errors import InputError
from dockscap.generator.model import Benchmark, DpmsTarget, Release
from dockscap.namespaces import DC, XCCDF_11
from dockscap.safexml import parse_xml_bytes, parse_xml_file

log = logging.getLogger(__name__)

# The fields of a DISA Rule description, in DISA's order; the names are DISA's.
DESCRIPTION_FIELDS = (
    "VulnDiscussion",
    "FalsePositives",
    "FalseNegatives",
    "Documentable",
    "Mitigations",
    "SeverityOverrideGuidance",
    "PotentialImpacts",
    "ThirdPartyTools",
    "MitigationControl",
    "Responsibility",
    "IAControls",
)

RELEASE_NUMBER = re.compile(r"Release:\s*(\S+)")


@dataclass(frozen=True)
class Ident:
    system: str
    value: str


@dataclass(frozen=True)
class DisaRule:
    """One Group and its Rule, with every field a STIG Viewer checklist shows."""

    group_id: str
    group_title: str
    group_description: str
    rule_id: str
    severity: str
    weight: str
    stig_id: str
    title: str
    description: dict[str, str]
    reference: DpmsTarget
    idents: tuple[Ident, ...]
    fix_ref: str
    fix_text: str
    fix_id: str
    check_system: str
    check_content_ref_name: str
    check_content_ref_href: str
    check_content: str

    def field(self, name: str) -> str:
        """A description field by DISA's name (VulnDiscussion, Documentable, ...)."""
        return self.description.get(name, "")

    @property
    def ccis(self) -> tuple[str, ...]:
        return tuple(i.value for i in self.idents if i.system.endswith("/cci"))

    @property
    def legacy_ids(self) -> tuple[str, ...]:
        return tuple(i.value for i in self.idents if i.system.endswith("/legacy"))


@dataclass(frozen=True)
class DisaBenchmark:
    """A DISA benchmark: what STIG_INFO needs, and every rule in file order."""

    id: str
    title: str
    description: str
    version: str
    release_info: str
    status: str
    status_date: str
    notice_id: str
    publisher: str
    source: str
    filename: str
    rules: tuple[DisaRule, ...]

    @property
    def release(self) -> str:
        """The release number from release-info ('Release: 2 Benchmark Date: ...')."""
        found = RELEASE_NUMBER.search(self.release_info)
        return found.group(1) if found else ""

    @property
    def revision(self) -> str:
        """DISA's short name of the release, as checklist tools build it: V2R2."""
        return f"V{self.version}R{self.release}"

    @property
    def display_name(self) -> str:
        """The title without its ' Security Technical Implementation Guide' tail."""
        return re.sub(r"\s*Security Technical Implementation Guide$", "", self.title)

    def rule_for(self, stig_id: str) -> DisaRule | None:
        """The rule whose version (STIG ID) is stig_id, if the benchmark holds it."""
        found = [rule for rule in self.rules if rule.stig_id == stig_id]
        if len(found) > 1:
            raise InputError(f"{self.filename}: {stig_id} appears {len(found)} times")
        return found[0] if found else None


def load_disa_benchmark(path: Path | str) -> DisaBenchmark:
    """Read the DISA benchmark file a user named (untrusted input, parsed safely)."""
    path = Path(path)
    tree = parse_xml_file(path, what="DISA STIG benchmark")
    return _benchmark(tree.getroot(), path.name)


def read_disa_benchmark(data: bytes, filename: str) -> DisaBenchmark:
    """Read a DISA benchmark from bytes; filename is what STIG_INFO will name."""
    tree = parse_xml_bytes(data, source=filename, what="DISA STIG benchmark")
    return _benchmark(tree.getroot(), filename)


def _benchmark(root: etree._Element, filename: str) -> DisaBenchmark:
    if root.tag != _x("Benchmark"):
        raise InputError(
            f"{filename}: not a DISA STIG benchmark (XCCDF 1.1 Benchmark); "
            f"its root element is {etree.QName(root).localname}"
        )
    rules = tuple(_rule(group, filename) for group in root.iterfind(_x("Group")))
    benchmark = DisaBenchmark(
        id=root.get("id", ""),
        title=_text(root, "title"),
        description=_text(root, "description"),
        version=_text(root, "version"),
        release_info=_plain_text(root, "release-info"),
        status=_text(root, "status"),
        status_date=_attribute(root, "status", "date"),
        notice_id=_attribute(root, "notice", "id"),
        publisher=_text(root, "reference", f"{{{DC}}}publisher"),
        source=_text(root, "reference", f"{{{DC}}}source"),
        filename=filename,
        rules=rules,
    )
    log.debug(
        "read %s: %s %s, %d rules",
        filename,
        benchmark.id,
        benchmark.revision,
        len(rules),
    )
    return benchmark


def match_release(disa: DisaBenchmark, benchmark: Benchmark) -> Release:
    """The release of content/ that a DISA benchmark is, found by our rules' ids.

    Checklist tools match results on the full rule id, so the rule id of each of
    our rules in the DISA file decides; a file without any of our rules, or with
    a rule id no release of ours carries, is refused rather than guessed at.
    """
    found: dict[str, str] = {}
    for rule in benchmark.rules:
        disa_rule = disa.rule_for(rule.stig_id)
        if disa_rule is None:
            continue
        names = [n for n, ids in rule.releases.items() if ids.rule == disa_rule.rule_id]
        if not names:
            known = ", ".join(f"{n} {ids.rule}" for n, ids in rule.releases.items())
            raise InputError(
                f"{disa.filename}: {rule.stig_id} has rule id {disa_rule.rule_id}, "
                f"which no STIG release dockscap knows carries ({known})"
            )
        found[rule.stig_id] = names[0]

    if not found:
        wanted = ", ".join(rule.stig_id for rule in benchmark.rules)
        raise InputError(
            f"{disa.filename}: benchmark {disa.id or '(no id)'} has no rule {wanted}; "
            f"dockscap fills in the {benchmark.title}"
        )
    if len(set(found.values())) > 1:
        raise InputError(f"{disa.filename}: its rules belong to different releases")

    release = benchmark.release(next(iter(found.values())))
    if (disa.version, disa.release) != (release.version, release.release):
        log.debug(
            "%s says %s but its rule ids are those of %s; the rule ids decide",
            disa.filename,
            disa.revision,
            release.name,
        )
    return release


def _rule(group: etree._Element, filename: str) -> DisaRule:
    rule = group.find(_x("Rule"))
    group_id = group.get("id", "")
    if rule is None:
        raise InputError(f"{filename}: Group {group_id} holds no Rule")
    check = rule.find(_x("check"))
    content_ref = check.find(_x("check-content-ref")) if check is not None else None
    fixtext = rule.find(_x("fixtext"))
    fix = rule.find(_x("fix"))
    return DisaRule(
        group_id=group_id,
        group_title=_text(group, "title"),
        group_description=_text(group, "description"),
        rule_id=rule.get("id", ""),
        severity=rule.get("severity", ""),
        weight=rule.get("weight", ""),
        stig_id=_text(rule, "version"),
        title=_text(rule, "title"),
        description=_description_fields(_text(rule, "description")),
        reference=DpmsTarget(
            title=_text(rule, "reference", f"{{{DC}}}title"),
            subject=_text(rule, "reference", f"{{{DC}}}subject"),
            identifier=_text(rule, "reference", f"{{{DC}}}identifier"),
        ),
        idents=tuple(
            Ident(ident.get("system", ""), ident.text or "")
            for ident in rule.iterfind(_x("ident"))
        ),
        fix_ref=fixtext.get("fixref", "") if fixtext is not None else "",
        fix_text=(fixtext.text or "") if fixtext is not None else "",
        fix_id=fix.get("id", "") if fix is not None else "",
        check_system=check.get("system", "") if check is not None else "",
        check_content_ref_name=_get(content_ref, "name"),
        check_content_ref_href=_get(content_ref, "href"),
        check_content=_text(rule, "check", "check-content"),
    )


def _description_fields(text: str) -> dict[str, str]:
    fields = {}
    for name in DESCRIPTION_FIELDS:
        found = re.search(rf"<{name}>(.*?)</{name}>", text, re.DOTALL)
        fields[name] = found.group(1) if found else ""
    return fields


def _x(local: str) -> str:
    return f"{{{XCCDF_11}}}{local}"


def _text(element: etree._Element, *path: str) -> str:
    """The text at a path of child names (XCCDF 1.1 unless given in Clark form)."""
    for name in path:
        child = element.find(name if name.startswith("{") else _x(name))
        if child is None:
            return ""
        element = child
    return element.text or ""


def _attribute(element: etree._Element, child: str, name: str) -> str:
    return _get(element.find(_x(child)), name)


def _get(element: etree._Element | None, name: str) -> str:
    return element.get(name, "") if element is not None else ""


def _plain_text(root: etree._Element, plain_text_id: str) -> str:
    for element in root.iterfind(_x("plain-text")):
        if element.get("id") == plain_text_id:
            return element.text or ""
    return ""
