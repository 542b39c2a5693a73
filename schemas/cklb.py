"""A structural check of CKLB checklists (STIG Viewer 3's JSON format).

DISA publishes no schema for CKLB, so this is no schema validation: it checks
the structure that STIG Viewer 3 writes and that importers read (STIG
Manager's `reviewsFromCklb` needs `target_data.host_name` and a `stigs` array,
and keys each review on `rule_id_src` and `status`): the top-level keys,
`target_data`, each `stigs[]` entry and each of its `rules[]`, with the types of
the keys it knows, the status and severity vocabularies, and rules that name
the STIG they sit in. Keys it does not know are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockscap.errors import InvalidDocumentError
from dockscap.safexml import parse_json_bytes
from dockscap.schemas.problems import Problem

CKLB_KIND = "STIG Viewer 3 checklist (CKLB, structural check)"

# DESIGN.md: the CKLB status vocabulary (CKL's NotAFinding, Open, ...).
STATUSES = ("not_a_finding", "open", "not_applicable", "not_reviewed")
SEVERITIES = ("high", "medium", "low")

# The top-level keys that tell a CKLB from other JSON documents.
_MARKERS = ("cklb_version", "stigs", "target_data")

_TYPES: dict[str, tuple[type, ...]] = {
    "a string": (str,),
    "an array": (list,),
    "an object": (dict,),
    "a boolean": (bool,),
    "an integer": (int,),
}
_JSON_NAMES = {
    str: "a string",
    list: "an array",
    dict: "an object",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


@dataclass(frozen=True)
class _Key:
    name: str
    type: str
    required: bool = True


_CHECKLIST_KEYS = (
    _Key("title", "a string"),
    _Key("id", "a string"),
    _Key("target_data", "an object"),
    _Key("stigs", "an array"),
    _Key("cklb_version", "a string"),
    _Key("active", "a boolean", required=False),
    _Key("mode", "an integer", required=False),
    _Key("has_path", "a boolean", required=False),
)
_TARGET_KEYS = (
    _Key("host_name", "a string"),
    *(
        _Key(name, "a string", required=False)
        for name in (
            "target_type",
            "ip_address",
            "mac_address",
            "fqdn",
            "comments",
            "role",
            "technology_area",
            "web_db_site",
            "web_db_instance",
        )
    ),
    _Key("is_web_database", "a boolean", required=False),
)
_STIG_KEYS = (
    *(
        _Key(name, "a string")
        for name in ("stig_name", "display_name", "stig_id", "release_info", "uuid")
    ),
    _Key("rules", "an array"),
    _Key("version", "a string", required=False),
    _Key("reference_identifier", "a string", required=False),
    _Key("size", "an integer", required=False),
)
_RULE_KEYS = (
    *(
        _Key(name, "a string")
        for name in (
            "uuid",
            "group_id",
            "rule_id",
            "rule_id_src",
            "rule_version",
            "rule_title",
            "severity",
            "status",
            # DESIGN.md: finding details and comments are always present.
            "finding_details",
            "comments",
        )
    ),
    _Key("stig_uuid", "a string", required=False),
    _Key("ccis", "an array", required=False),
    _Key("legacy_ids", "an array", required=False),
    _Key("overrides", "an object", required=False),
)


def is_cklb(document: Mapping[str, Any]) -> bool:
    """True for a JSON object with any top-level key only a CKLB has.

    One is enough: a checklist that lost the others is still checked as a
    CKLB, and its problems name them.
    """
    return any(key in document for key in _MARKERS)


def validate_cklb(
    document: bytes | Mapping[str, Any], *, source: str = "<checklist>"
) -> list[Problem]:
    """Every structural problem of a CKLB checklist; empty when it is sound.

    Bytes are parsed with dockscap.safexml's JSON reader (InputError when they
    are not a JSON object). Problems carry a JSON path and no line.
    """
    if isinstance(document, bytes):
        document = parse_json_bytes(document, source=source, what="CKLB checklist")

    problems = _check_keys(document, _CHECKLIST_KEYS, "")
    target = document.get("target_data")
    if isinstance(target, dict):
        problems += _check_target(target)
    stigs = document.get("stigs")
    if isinstance(stigs, list):
        problems += _check_stigs(stigs)
    return problems


def assert_valid_cklb(document: bytes | Mapping[str, Any], *, source: str) -> None:
    """Raise InvalidDocumentError naming `source` and its first problems."""
    problems = validate_cklb(document, source=source)
    if not problems:
        return
    shown = "; ".join(str(problem) for problem in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    raise InvalidDocumentError(f"{source} is not a sound CKLB checklist: {shown}{more}")


def _check_target(target: Mapping[str, Any]) -> list[Problem]:
    problems = _check_keys(target, _TARGET_KEYS, "target_data")
    if target.get("host_name") == "":
        problems.append(_at("target_data.host_name", "must not be empty"))
    return problems


def _check_stigs(stigs: list[Any]) -> list[Problem]:
    if not stigs:
        return [_at("stigs", "must hold at least one STIG")]

    problems = []
    for index, stig in enumerate(stigs):
        path = f"stigs[{index}]"
        if not isinstance(stig, dict):
            problems.append(_at(path, f"must be an object, not {_json_name(stig)}"))
            continue
        problems += _check_keys(stig, _STIG_KEYS, path)
        rules = stig.get("rules")
        if isinstance(rules, list):
            problems += _check_rules(rules, stig.get("uuid"), path)
    return problems


def _check_rules(rules: list[Any], stig_uuid: Any, stig_path: str) -> list[Problem]:
    problems = []
    for index, rule in enumerate(rules):
        path = f"{stig_path}.rules[{index}]"
        if not isinstance(rule, dict):
            problems.append(_at(path, f"must be an object, not {_json_name(rule)}"))
            continue
        problems += _check_keys(rule, _RULE_KEYS, path)
        problems += _check_vocabulary(rule, "status", STATUSES, path)
        problems += _check_vocabulary(rule, "severity", SEVERITIES, path)
        if "stig_uuid" in rule and rule["stig_uuid"] != stig_uuid:
            problems.append(
                _at(
                    f"{path}.stig_uuid",
                    f"{rule['stig_uuid']!r} is not the uuid of the STIG that holds "
                    f"the rule ({stig_uuid!r})",
                )
            )
    return problems


def _check_keys(
    mapping: Mapping[str, Any], keys: tuple[_Key, ...], path: str
) -> list[Problem]:
    problems = []
    for key in keys:
        where = f"{path}.{key.name}" if path else key.name
        if key.name not in mapping:
            if key.required:
                problems.append(_at(where, "required key is missing"))
            continue
        value = mapping[key.name]
        if not _is_type(value, key.type):
            problems.append(_at(where, f"must be {key.type}, not {_json_name(value)}"))
    return problems


def _check_vocabulary(
    rule: Mapping[str, Any], key: str, allowed: tuple[str, ...], path: str
) -> list[Problem]:
    value = rule.get(key)
    if not isinstance(value, str) or value in allowed:
        return []
    return [
        _at(f"{path}.{key}", f"{value!r} is not a CKLB {key} ({', '.join(allowed)})")
    ]


def _is_type(value: Any, name: str) -> bool:
    # JSON true is a Python bool, which is also an int: keep them apart.
    if isinstance(value, bool):
        return name == "a boolean"
    return isinstance(value, _TYPES[name])


def _json_name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _at(path: str, message: str) -> Problem:
    return Problem(None, path, message)
