"""Which containers a scan covers: `--label`, `--name` and their exclude forms.

The rules, stated once (docs/cli.md repeats them for users):

- `--label KEY` or `--label KEY=VALUE`: a container must carry every label
  named (AND), as `docker ps --filter label=...` does.
- `--name PATTERN`: a shell-style glob on the container's name, without
  Docker's leading slash; a container must match at least one (OR).
- `--exclude-label` and `--exclude-name`: a container matching any of them is
  left out, whatever the include filters say.

Label filters are exact and Docker applies them the same way, so they are also
sent to the engine (`engine_filters`) to list fewer containers. Name filters
are not: Docker's `name` filter is an unanchored regular expression, not a
glob, so names are always matched here. Either way `includes` has the last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from dockscap.errors import InputError
from dockscap.evaluator.results import Container


@dataclass(frozen=True)
class LabelSelector:
    """`KEY` (the label is present, any value) or `KEY=VALUE` (exactly that value)."""

    key: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> LabelSelector:
        key, equals, value = text.partition("=")
        if not key.strip():
            raise InputError(f"label {text!r}: expected KEY or KEY=VALUE")
        return cls(key, value if equals else None)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.key not in labels:
            return False
        return self.value is None or labels[self.key] == self.value

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


@dataclass(frozen=True)
class ContainerFilter:
    """The filters of one run; an empty filter covers every container."""

    labels: tuple[LabelSelector, ...] = ()
    names: tuple[str, ...] = ()
    exclude_labels: tuple[LabelSelector, ...] = ()
    exclude_names: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls,
        labels: Iterable[str] = (),
        names: Iterable[str] = (),
        exclude_labels: Iterable[str] = (),
        exclude_names: Iterable[str] = (),
    ) -> ContainerFilter:
        """Build from the command line's repeated options, checking each one."""
        return cls(
            labels=tuple(LabelSelector.parse(text) for text in labels),
            names=tuple(_pattern(text) for text in names),
            exclude_labels=tuple(LabelSelector.parse(text) for text in exclude_labels),
            exclude_names=tuple(_pattern(text) for text in exclude_names),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.labels or self.names or self.exclude_labels or self.exclude_names
        )

    def includes(self, container: Container) -> bool:
        """Whether the container is in the scan's scope."""
        if not all(label.matches(container.labels) for label in self.labels):
            return False

        if any(label.matches(container.labels) for label in self.exclude_labels):
            return False
        return self.may_include_name(container.name)

    def may_include_name(self, name: str) -> bool:
        """The name filters alone: lets a scan skip inspecting what they leave out."""
        name = name.lstrip("/")
        if self.names and not any(fnmatchcase(name, p) for p in self.names):
            return False
        return not any(fnmatchcase(name, p) for p in self.exclude_names)

    def engine_filters(self) -> dict[str, list[str]]:
        """The part Docker can apply exactly, for the list call's `filters`."""
        if not self.labels:
            return {}
        return {"label": [str(label) for label in self.labels]}

    def describe(self) -> tuple[str, ...]:
        """One sentence per filter, for every output; empty when nothing is left out."""
        lines = [f"only containers with label {label}" for label in self.labels]
        if self.names:
            lines.append(f"only containers named {_either(self.names)}")
        lines += [f"no containers with label {label}" for label in self.exclude_labels]
        if self.exclude_names:
            lines.append(f"no containers named {_either(self.exclude_names)}")
        return tuple(lines)


def _pattern(text: str) -> str:
    pattern = text.lstrip("/")
    if not pattern:
        raise InputError(f"name pattern {text!r} is empty")
    return pattern


def _either(patterns: tuple[str, ...]) -> str:
    quoted = [repr(pattern) for pattern in patterns]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
