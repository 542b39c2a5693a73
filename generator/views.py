"""What the templates print, worked out here so that they only lay it out.

Every id, reference and piece of derived text of the XCCDF, OVAL and CPE
templates comes from `template_context`; the templates hold no logic beyond
loops over these views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dockscap import __version__
from dockscap.errors import ContentError
from dockscap.generator.checks import (
    ENGINE_API_CHECK_SYSTEM,
    OVAL_CHECK_SYSTEM,
    DockerPlatform,
    OvalCheck,
    oval_checks,
)
from dockscap.generator.model import Benchmark, Release, Rule, RuleIds
from dockscap.generator.names import ContentNames
from dockscap.generator.xccdf11 import GROUP_DESCRIPTION
from dockscap.namespaces import NSMAP

GENERATOR_NAME = "dockscap"
OVAL_VERSION = "5.11.2"

# NIST SP 800-53 Rev. 4, the revision DISA's CCI list maps CCI-000381 to.
NIST_800_53_HREF = "https://doi.org/10.6028/NIST.SP.800-53r4"


@dataclass(frozen=True)
class ProfileView:
    id: str
    title: str
    description: str


@dataclass(frozen=True)
class ValueView:
    id: str
    type: str
    title: str
    description: str
    default: str


@dataclass(frozen=True)
class CheckExport:
    value_id: str
    name: str


@dataclass(frozen=True)
class CheckView:
    """An XCCDF check: a reference into a check file, or its content inline."""

    system: str
    id: str | None = None
    exports: tuple[CheckExport, ...] = ()
    href: str | None = None
    name: str | None = None
    content: str | None = None


@dataclass(frozen=True)
class RuleView:
    model: Rule
    ids: RuleIds
    id: str
    group_id: str
    weight: str
    description: str
    group_description: str
    checks: tuple[CheckView, ...]


@dataclass(frozen=True)
class TailoredProfile:
    id: str
    extends: str
    title: str
    description: str


@dataclass(frozen=True)
class ValueSetting:
    value_id: str
    value: str


@dataclass(frozen=True)
class TailoringView:
    id: str
    profiles: tuple[TailoredProfile, ...]
    settings: tuple[ValueSetting, ...]


@dataclass(frozen=True)
class ExternalVariable:
    id: str
    comment: str


def template_context(
    benchmark: Benchmark,
    release: Release,
    names: ContentNames,
    *,
    engine_api_check: bool,
) -> dict[str, Any]:
    """The variables of every template, for one release."""
    checks = oval_checks(benchmark)
    return {
        "ns": {prefix.replace("-", "_"): uri for prefix, uri in NSMAP.items()},
        "benchmark": benchmark,
        "release": release,
        "names": names,
        "timestamp": timestamp(release.benchmark_date),
        "generator_name": GENERATOR_NAME,
        "generator_version": __version__,
        "oval_version": OVAL_VERSION,
        "nist_href": NIST_800_53_HREF,
        "platform": DockerPlatform(),
        "ids": {"benchmark": benchmark.xccdf_id("benchmark", benchmark.id)},
        "profiles": [
            ProfileView(
                id=benchmark.xccdf_id("profile", profile.id),
                title=profile.title,
                description=(
                    f"DISA's {profile.id} profile ({profile.title}): "
                    "it selects every rule of this benchmark."
                ),
            )
            for profile in benchmark.profiles
        ],
        "values": [
            ValueView(
                id=benchmark.xccdf_id("value", value.id),
                type=value.type,
                title=value.title,
                description=value.description,
                default=value.default,
            )
            for value in benchmark.values
        ],
        "rules": [
            _rule_view(
                benchmark, release, rule, checks[rule.stig_id], names, engine_api_check
            )
            for rule in benchmark.rules
        ],
        "checks": list(checks.values()),
        "external_variables": _external_variables(benchmark, checks),
        "container_folder_pattern": OvalCheck.CONTAINER_FOLDER_PATTERN,
    }


def tailoring_context(
    benchmark: Benchmark, release: Release, names: ContentNames, data_root: str
) -> dict[str, Any]:
    """The variables of the tailoring template: every profile, the data root set."""
    check_values = {rule.check.data_root_value for rule in benchmark.rules}
    settings = tuple(
        ValueSetting(benchmark.xccdf_id("value", value_id), data_root)
        for value_id in sorted(check_values)
    )
    profiles = tuple(
        TailoredProfile(
            id=benchmark.xccdf_id("profile", f"{profile.id}_tailored"),
            extends=benchmark.xccdf_id("profile", profile.id),
            title=f"{profile.title}, tailored",
            description=(
                f"DISA's {profile.id} profile with the Docker data root {data_root}."
            ),
        )
        for profile in benchmark.profiles
    )
    return {
        "ns": {prefix.replace("-", "_"): uri for prefix, uri in NSMAP.items()},
        "names": names,
        "timestamp": timestamp(release.benchmark_date),
        "tailoring": TailoringView(
            id=f"xccdf_{GENERATOR_NAME}_tailoring_{names.name}",
            profiles=profiles,
            settings=settings,
        ),
    }


def timestamp(day: date) -> str:
    """An xs:dateTime from a date of the release: no wall clock, so output repeats."""
    return f"{day.isoformat()}T00:00:00"


def _rule_view(
    benchmark: Benchmark,
    release: Release,
    rule: Rule,
    check: OvalCheck,
    names: ContentNames,
    engine_api_check: bool,
) -> RuleView:
    if release.name not in rule.releases:
        raise ContentError(
            f"rules/{rule.stig_id}.yml", None, "releases", f"no ids for {release.name}"
        )
    ids = rule.ids(release.name)

    value_id = benchmark.xccdf_id("value", rule.check.data_root_value)
    checks = [
        CheckView(
            system=OVAL_CHECK_SYSTEM,
            id=ids.check,
            exports=(CheckExport(value_id, check.variables.data_root),),
            href=names.oval,
            name=check.definition,
        )
    ]
    if engine_api_check:
        checks.append(CheckView(ENGINE_API_CHECK_SYSTEM, content=_engine_api(rule)))

    return RuleView(
        model=rule,
        ids=ids,
        id=benchmark.xccdf_id("rule", ids.rule),
        group_id=benchmark.xccdf_id("group", ids.group),
        weight=f"{rule.weight:.1f}",
        description=_vuln_description(rule),
        group_description=GROUP_DESCRIPTION,
        checks=tuple(checks),
    )


def _engine_api(rule: Rule) -> str:
    """What `dockscap evaluate` checks, in words: it reads no file of ours."""
    expected = "true" if rule.check.expected else "false"
    return (
        "Every container the Docker Engine API lists (GET /containers/json?all=1)"
        f" has HostConfig.{rule.check.host_config_key} = {expected} in its"
        " inspect document (GET /containers/{id}/json)."
    )


def _vuln_description(rule: Rule) -> str:
    """DISA's description form: tagged text that STIG tools split into fields.

    DISA's own benchmarks carry it as escaped text, not as XML, and checklist
    tools parse it back out of the text; autoescaping gives exactly that form.
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
    return "".join(f"<{tag}>{text}</{tag}>" for tag, text in fields.items())


def _external_variables(
    benchmark: Benchmark, checks: dict[str, OvalCheck]
) -> list[ExternalVariable]:
    """One OVAL external variable per XCCDF Value that a check reads."""
    variables: dict[str, ExternalVariable] = {}
    for check in checks.values():
        value = benchmark.value(check.data_root_value)
        variables[check.variables.data_root] = ExternalVariable(
            id=check.variables.data_root,
            comment=f"{value.title}, from XCCDF Value {value.id}",
        )
    return sorted(variables.values(), key=lambda variable: variable.id)
