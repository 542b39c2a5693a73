"""The benchmark's containers on a private engine: N of them, half read-only.

Containers are named bench-000000, bench-000001, ...; an even index is created
with a read-only root filesystem, an odd one without. They are only created,
never started (the rule counts never-started containers too), so thousands
cost disk and the engine's bookkeeping but no processes. A run reuses the
containers of an earlier one and adds or removes only the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import docker

LABEL = "dockscap-bench"
NAME = re.compile(r"bench-(\d{6})")
# dockerd serialises much of container creation; four requests in flight keep
# it busy without starving the other engineers' work on 2 cores.
CREATE_WORKERS = 4

T = TypeVar("T")


@dataclass(frozen=True)
class Population:
    """How many containers the engine holds, and how many of them are read-only."""

    size: int

    @property
    def read_only(self) -> int:
        return (self.size + 1) // 2

    @property
    def writable(self) -> int:
        return self.size // 2


class ForeignContainers(Exception):
    """The engine holds containers the benchmark did not create."""


def read_only_at(index: int) -> bool:
    return index % 2 == 0


def populate(
    client: docker.APIClient,
    image: str,
    size: int,
    progress: Callable[[str], None] = print,
) -> Population:
    """Make the engine hold exactly SIZE benchmark containers, and nothing else."""
    present = _present(client)

    missing = [index for index in range(size) if index not in present]
    extra = [present[index] for index in sorted(present) if index >= size]
    if missing:
        progress(f"creating {len(missing)} container(s) ({len(present)} exist)")
        _in_pool(lambda index: _create(client, image, index), missing, progress)
    if extra:
        progress(f"removing {len(extra)} container(s) beyond {size}")
        _in_pool(lambda ident: client.remove_container(ident, force=True), extra)

    return Population(size)


def size_order(client: docker.APIClient, sizes: list[int]) -> list[int]:
    """SIZES in the order that creates and removes the fewest containers.

    From an empty engine that is ascending; from one left with the most
    containers by an earlier run, descending.
    """
    present = len(_present(client))
    ascending = sorted(sizes)
    smallest, largest = ascending[0], ascending[-1]
    up = max(0, present - smallest) + (largest - smallest)
    down = max(0, largest - present) + (largest - smallest)
    return ascending if up <= down else ascending[::-1]


def _present(client: docker.APIClient) -> dict[int, str]:
    """The benchmark's containers by index; refuses an engine holding others."""
    present: dict[int, str] = {}
    foreign: list[str] = []
    for entry in client.containers(all=True, size=False):
        name = (entry.get("Names") or ["?"])[0].lstrip("/")
        match = NAME.fullmatch(name)
        if match and LABEL in (entry.get("Labels") or {}):
            present[int(match.group(1))] = entry["Id"]
        else:
            foreign.append(name)

    if foreign:
        raise ForeignContainers(
            f"the engine holds {len(foreign)} container(s) the benchmark did not "
            f"create (for example {foreign[0]}); every tool would count them. "
            "Use an engine of its own (--engine NAME)."
        )
    return present


def _create(client: docker.APIClient, image: str, index: int) -> None:
    host_config = client.create_host_config(read_only=read_only_at(index))
    client.create_container(
        image,
        command=["true"],
        name=f"bench-{index:06d}",
        labels={LABEL: "1"},
        host_config=host_config,
        network_disabled=True,
    )


def _in_pool(
    work: Callable[[T], object],
    items: Iterable[T],
    progress: Callable[[str], None] | None = None,
) -> None:
    items = list(items)
    with ThreadPoolExecutor(CREATE_WORKERS) as pool:
        for done, _ in enumerate(pool.map(work, items), start=1):
            if progress and (done % 1000 == 0 or done == len(items)):
                progress(f"  {done}/{len(items)}")
