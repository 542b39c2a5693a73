"""Key, keyref and unique constraints as XSD 1.0 defines them, on xmlschema.

xmlschema (4.3) departs from XML Schema 1.0 (Structures, 3.11) in two ways
that matter for OVAL, whose definitions tie every test, object, state and
variable reference together with xs:key and xs:keyref:

- Before validating, it works out which element declarations a constraint's
  selector can reach by walking the content models, and at validation time it
  considers only those. The walk stops at the head of a substitution group,
  and OVAL's tests, objects, states and variables are all members of such
  groups declared in the platform schemas: every test would be missing from
  `oval-def:testKey` (so every `test_ref` reported dangling) and the
  `object_ref`, `state_ref` and `var_ref` inside platform tests and objects
  would never be checked.
- It counts value tuples with an absent field for keyref and unique, and for
  nilled elements, where XSD 1.0 (3.11.4, the "qualified node set") leaves
  such elements out: `<unix:filename xsi:nil="true"/>`, which has no var_ref,
  is reported as a dangling variable reference, and OVAL results' keyrefs on
  (definition_ref, version, variable_instance) report every element that has
  only a version.

follow_xsd_identity_rules() corrects both on one compiled schema: it widens
the candidates and has keyref and unique skip unqualified tuples. The selector
is still evaluated on the document at validation time, so a candidate that is
not really selected costs only a lookup.
"""

from __future__ import annotations

import re
from typing import Any

import xmlschema
from xmlschema.validators import XsdComplexType, XsdElement, XsdKeyref, XsdUnique
from xmlschema.validators.identities import (
    IdentityCounter,
    KeyrefCounter,
    XsdIdentity,
)

# The XSD meta-schema's own constraints, which never apply to documents.
_XSD_NAMESPACE = "{http://www.w3.org/2001/XMLSchema}"

# A field that names one unprefixed attribute: "@id" without its "@".
_PLAIN_ATTRIBUTE = re.compile(r"[A-Za-z_][\w.-]*")


def follow_xsd_identity_rules(schema: xmlschema.XMLSchema10) -> None:
    """Correct the schema's identity constraints in place (see the module doc)."""
    declarations = [
        component
        for component in schema.maps.iter_components()
        if isinstance(component, XsdElement)
    ]
    for identity in schema.maps.identities.values():
        if identity.selector is None or identity.name.startswith(_XSD_NAMESPACE):
            continue

        found = list(identity.elements)
        candidates = {member for d in found for member in d.iter_substitutes()}
        if "//" in identity.selector.path:
            candidates.update(declarations)
        names = _attribute_fields(identity)
        if isinstance(identity, XsdKeyref | XsdUnique) and names is not None:
            # Only elements that can carry every field are ever counted; the
            # others would only cost xmlschema a slow field lookup each.
            candidates = {d for d in candidates if _carries(d, names)}
        for declaration in candidates:
            declaration.selected_by.add(identity)

        if type(identity) is XsdKeyref:
            identity.__class__ = _QualifiedKeyref
        elif type(identity) is XsdUnique:
            identity.__class__ = _QualifiedUnique


def _attribute_fields(identity: XsdIdentity) -> list[str] | None:
    """The attribute names of the fields, or None unless every field is one
    plain attribute ("@id")."""
    names = [field.path[1:] for field in identity.fields]
    if all(field.path.startswith("@") for field in identity.fields) and all(
        _PLAIN_ATTRIBUTE.fullmatch(name) for name in names
    ):
        return names
    return None


def _carries(declaration: XsdElement, names: list[str]) -> bool:
    xsd_type = declaration.type
    if not isinstance(xsd_type, XsdComplexType):
        return False
    attributes = xsd_type.attributes
    # An attribute wildcard is stored under None: it may admit any of them.
    return None in attributes or all(name in attributes for name in names)


class _QualifiedKeyrefCounter(KeyrefCounter):
    def increase(self, fields: Any) -> None:
        if None not in fields:
            super().increase(fields)


class _QualifiedUniqueCounter(IdentityCounter):
    def increase(self, fields: Any) -> None:
        if None not in fields:
            super().increase(fields)


class _QualifiedKeyref(XsdKeyref):
    __slots__ = ()

    def get_counter(self, elem: Any) -> KeyrefCounter:
        return _QualifiedKeyrefCounter(self, elem)


class _QualifiedUnique(XsdUnique):
    __slots__ = ()

    def get_counter(self, elem: Any) -> IdentityCounter:
        return _QualifiedUniqueCounter(self, elem)
