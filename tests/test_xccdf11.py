"""dockscap's benchmark in DISA's XCCDF 1.1 form matches DISA's own files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import xmlschema
from checklist_support import DISA_FILES, IDS, STIG_ID, benchmark, disa
from conftest import require
from lxml import etree

from dockscap.evaluator.disa_benchmark import match_release, read_disa_benchmark
from dockscap.generator.names import content_names
from dockscap.generator.xccdf11 import render_disa_benchmark

XCCDF_11_SCHEMA = Path("/usr/share/openscap/schemas/xccdf/1.1/xccdf-schema.xsd")
X = "{http://checklists.nist.gov/xccdf/1.1}"


def _ours(release: str) -> bytes:
    return render_disa_benchmark(benchmark(), benchmark().release(release))


def _group(tree: etree._Element, group_id: str) -> bytes:
    """One Group in canonical form: attribute order and namespace prefixes aside."""
    (group,) = tree.xpath(f"//*[local-name()='Group'][@id='{group_id}']")
    return etree.tostring(group, method="c14n", exclusive=True)


@pytest.mark.parametrize("release", sorted(IDS))
def test_our_rule_reads_as_disas_does(release: str, reference: Path) -> None:
    ours = read_disa_benchmark(_ours(release), "ours.xml").rule_for(STIG_ID)
    theirs = disa(reference, release).rule_for(STIG_ID)

    assert ours is not None and theirs is not None
    assert ours == theirs
    group, rule_id, legacy = IDS[release]
    assert (ours.group_id, ours.rule_id, ours.legacy_ids) == (group, rule_id, legacy)
    assert (ours.severity, ours.weight, ours.ccis) == ("high", "10.0", ("CCI-000381",))
    assert ours.field("Documentable") == "false"
    assert ours.title == (
        "All Docker Enterprise containers root filesystem must be mounted as read only."
    )


@pytest.mark.parametrize("release", sorted(IDS))
def test_our_group_is_disas_group_element_for_element(
    release: str, reference: Path
) -> None:
    """Read without dockscap's reader: the Group's XML is DISA's, byte for byte."""
    parser = etree.XMLParser(remove_blank_text=True)
    ours = etree.fromstring(_ours(release), parser)
    theirs = etree.parse(reference / "disa" / DISA_FILES[release], parser).getroot()

    assert _group(ours, IDS[release][0]) == _group(theirs, IDS[release][0])


@pytest.mark.parametrize("release", sorted(IDS))
def test_the_benchmark_front_matches_disas(release: str, reference: Path) -> None:
    parser = etree.XMLParser(remove_blank_text=True)
    ours = etree.fromstring(_ours(release), parser)
    theirs = etree.parse(reference / "disa" / DISA_FILES[release], parser).getroot()

    def front(root: etree._Element) -> list[tuple[str, dict[str, str], str]]:
        """Every element before the Profiles; DISA's generator is DISA's own tool."""
        items = []
        for element in root:
            if element.tag == f"{X}Profile":
                break
            if element.get("id") == "generator":
                continue
            text = etree.tostring(element, method="c14n", exclusive=True).decode()
            items.append((element.tag, dict(element.attrib), text))
        return items

    # The description too: DISA spelled "DoD" until V2R2 and "DOD" since.
    assert front(ours) == front(theirs)
    assert ours.get("id") == theirs.get("id")
    profiles = {p.get("id"): p.findtext(f"{X}title") for p in ours.iter(f"{X}Profile")}
    assert profiles == {
        p.get("id"): p.findtext(f"{X}title") for p in theirs.iter(f"{X}Profile")
    }
    for profile in ours.iter(f"{X}Profile"):
        assert [s.get("idref") for s in profile.iter(f"{X}select")] == [IDS[release][0]]


@pytest.mark.parametrize("release", sorted(IDS))
def test_our_benchmark_is_recognised_as_its_release(release: str) -> None:
    ours = read_disa_benchmark(
        _ours(release), content_names(benchmark().release(release)).disa_xccdf11
    )

    assert match_release(ours, benchmark()).name == release
    assert ours.revision == release
    assert ours.filename == f"dockscap-docker-{release}_Manual-xccdf.xml"


@pytest.mark.parametrize("release", sorted(IDS))
def test_it_validates_against_the_xccdf_11_schema(
    release: str, oscap: str, tmp_path: Path
) -> None:
    require(
        XCCDF_11_SCHEMA.is_file(), f"{XCCDF_11_SCHEMA} is missing (openscap-common)"
    )
    path = tmp_path / content_names(benchmark().release(release)).disa_xccdf11
    path.write_bytes(_ours(release))

    xmlschema.XMLSchema10(str(XCCDF_11_SCHEMA)).validate(str(path))
    checked = subprocess.run(
        [oscap, "xccdf", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
