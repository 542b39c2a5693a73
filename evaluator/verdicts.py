"""The verdict per container, exactly as DESIGN.md's table has it."""

from __future__ import annotations

from collections.abc import Mapping

from dockscap.evaluator.results import Verdict

KEY = "ReadonlyRootfs"


def readonly_rootfs_verdict(inspect: Mapping[str, object]) -> tuple[Verdict, str]:
    """Decide from an inspect document; anything but JSON true or false is error.

    A missing or malformed value never passes: the engine may be one that does not
    report the setting, and silence is not evidence of a read-only filesystem.
    """
    host_config = inspect.get("HostConfig")
    if not isinstance(host_config, Mapping):
        return Verdict.ERROR, "the engine reported no HostConfig for this container"

    if KEY not in host_config:
        return Verdict.ERROR, f"HostConfig.{KEY} is missing from the engine's answer"

    value = host_config[KEY]
    if value is True:
        return (
            Verdict.PASS,
            f"HostConfig.{KEY} is true: the root filesystem is read-only",
        )
    if value is False:
        return (
            Verdict.FAIL,
            f"HostConfig.{KEY} is false: the root filesystem is writable",
        )
    if value is None:
        return Verdict.ERROR, f"HostConfig.{KEY} is null"
    return Verdict.ERROR, f"HostConfig.{KEY} is {value!r}, not a boolean"
