"""`dockscap generate`: which files, which identifiers per release, and validity.

Identifiers are typed here from DESIGN.md's table, and dates and texts are
compared with DISA's own benchmarks in ../shared/reference, never read back
from content/. Validity is OpenSCAP's word: `oscap ds sds-validate`, `oscap
xccdf validate`, `oscap oval validate`, `oscap cpe validate`, and the SCAP 1.3
Schematron rules OpenSCAP ships.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from dockscap.cli import main
from dockscap.generator.build import (
    ENGINE_API_CHECK_SYSTEM,
    datastream_tree,
    render,
    xccdf_benchmark_tree,
)
from dockscap.generator.checks import host_config_pattern
from dockscap.generator.content import DEFAULT_CONTENT, load_benchmark

XCCDF = "http://checklists.nist.gov/xccdf/1.2"
OVAL_DEF = "http://oval.mitre.org/XMLSchema/oval-definitions-5"
NS = {
    "x": XCCDF,
    "x11": "http://checklists.nist.gov/xccdf/1.1",
    "o": OVAL_DEF,
    "c": "http://cpe.mitre.org/dictionary/2.0",
    "ds": "http://scap.nist.gov/schema/scap/source/1.2",
    "cat": "urn:oasis:names:tc:entity:xmlns:xml:catalog",
    "xlink": "http://www.w3.org/1999/xlink",
}
SCHEMATRON_XSL = Path("/usr/share/openscap/schemas/sds/1.3/source-data-stream-1.3.xsl")


@dataclass(frozen=True)
class Expected:
    """One row of DESIGN.md's table, plus where DISA's own file of it lives."""

    benchmark_date: str
    group: str
    rule: str
    fix: str
    check: str
    cci_system: str
    legacy: tuple[str, ...]
    disa_file: str


EXPECTED = {
    "V1R1": Expected(
        "19 Jul 2019",
        "V-95651",
        "SV-104789r1_rule",
        "F-101317r1_fix",
        "C-94479r1_chk",
        "http://iase.disa.mil/cci",
        (),
        "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V1R1_Manual-xccdf.xml",
    ),
    "V2R1": Expected(
        "23 Apr 2021",
        "V-235808",
        "SV-235808r627551_rule",
        "F-38990r627550_fix",
        "C-39027r627549_chk",
        "http://cyber.mil/cci",
        ("SV-104789", "V-95651"),
        "U_Docker_Enterprise_2-x_Linux-UNIX_STIG_V2R1_Manual-xccdf.xml",
    ),
    "V2R2": Expected(
        "24 Jul 2024",
        "V-235808",
        "SV-235808r960963_rule",
        "F-38990r627550_fix",
        "C-39027r627549_chk",
        "http://cyber.mil/cci",
        ("SV-104789", "V-95651"),
        "U_Docker_Enterprise_2-x_Linux-Unix_STIG_V2R2_Manual-xccdf.xml",
    ),
}
PROFILES = [
    f"MAC-{level}_{kind}"
    for level in (1, 2, 3)
    for kind in ("Classified", "Public", "Sensitive")
]
PREFIX = "xccdf_mil.disa.stig_"
LEGACY_SYSTEM = "http://cyber.mil/legacy"


def file_names(release: str) -> set[str]:
    name = f"dockscap-docker-{release}"
    return {
        f"{name}-ds.xml",
        f"{name}-xccdf.xml",
        f"{name}-oval.xml",
        f"{name}-cpe-dictionary.xml",
        f"{name}-cpe-oval.xml",
        f"{name}_Manual-xccdf.xml",
    }


def generate(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["generate", *arguments])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every release generated once by the command, each into its own folder."""
    folders = {}
    for release in EXPECTED:
        out = tmp_path_factory.mktemp(release)
        code, stdout, stderr = generate("--release", release, "--out", str(out))
        assert code == 0, stderr
        folders[release] = out
    return folders


def parse(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def the(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, f"{path}: {found}"
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(value) for value in root.xpath(path, namespaces=NS)]


# --- the command ------------------------------------------------------------


def test_generate_writes_the_newest_release_by_default(tmp_path: Path) -> None:
    code, stdout, _ = generate("--out", str(tmp_path))

    assert code == 0
    assert {path.name for path in tmp_path.iterdir()} == file_names("V2R2")
    for name in file_names("V2R2"):
        assert str(tmp_path / name) in stdout
    assert "Release: 2 Benchmark Date: 24 Jul 2024" in stdout


def test_same_content_gives_the_same_bytes(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    code, _, stderr = generate("--release", "V2R1", "--out", str(tmp_path))

    assert code == 0, stderr
    for name in file_names("V2R1"):
        assert (tmp_path / name).read_bytes() == (
            generated["V2R1"] / name
        ).read_bytes(), name


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--release", "V9R9"], "unknown STIG release 'V9R9'; choose one of V1R1"),
        (["--content", "/nonexistent"], "/nonexistent: no benchmark.yml"),
        (["--data-root", "var/lib/docker"], "must be an absolute path"),
        (["--data-root", "/var/lib/\ndocker"], "holds a control character"),
    ],
)
def test_bad_input_is_an_error_and_writes_nothing(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    out = tmp_path / "out"

    code, _, stderr = generate(*arguments, "--out", str(out))

    assert code == 1
    assert stderr.startswith("Error: ") and message in stderr
    assert not out.exists()


def test_broken_content_names_file_and_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    (content / "rules").mkdir(parents=True)
    (content / "benchmark.yml").write_bytes(
        (DEFAULT_CONTENT / "benchmark.yml").read_bytes()
    )
    rule = (DEFAULT_CONTENT / "rules" / "DKER-EE-002030.yml").read_text()
    (content / "rules" / "DKER-EE-002030.yml").write_text(
        rule.replace("severity: high", "severity: severe")
    )
    out = tmp_path / "out"

    code, _, stderr = generate("--content", str(content), "--out", str(out))

    assert code == 1
    assert re.search(r"DKER-EE-002030\.yml:\d+: severity: 'severe' is not", stderr)
    assert not out.exists()


def test_content_that_renders_invalid_xml_is_refused_before_writing(
    tmp_path: Path,
) -> None:
    """The loader accepts any number as a weight; XCCDF's schema does not."""
    content = tmp_path / "content"
    (content / "rules").mkdir(parents=True)
    (content / "benchmark.yml").write_bytes(
        (DEFAULT_CONTENT / "benchmark.yml").read_bytes()
    )
    rule = (DEFAULT_CONTENT / "rules" / "DKER-EE-002030.yml").read_text()
    (content / "rules" / "DKER-EE-002030.yml").write_text(
        rule.replace("weight: 10.0", "weight: -1.0")
    )
    out = tmp_path / "out"

    code, _, stderr = generate("--content", str(content), "--out", str(out))

    assert code == 1
    assert "-ds.xml is not a valid SCAP 1.3 source data stream" in stderr
    assert "weight='-1.0'" in stderr
    assert not out.exists()


# --- identifiers, per release -------------------------------------------------


@pytest.mark.parametrize("release", EXPECTED)
def test_xccdf_carries_the_releases_identifiers(
    generated: dict[str, Path], release: str
) -> None:
    expected = EXPECTED[release]
    xccdf = parse(generated[release] / f"dockscap-docker-{release}-xccdf.xml")

    benchmark_id = f"{PREFIX}benchmark_Docker_Enterprise_2-x_Linux-UNIX_STIG"
    assert xccdf.get("id") == benchmark_id
    assert the(xccdf, "x:plain-text[@id='release-info']").text == (
        f"Release: {release[-1]} Benchmark Date: {expected.benchmark_date}"
    )
    group = the(xccdf, "x:Group")
    assert group.get("id") == f"{PREFIX}group_{expected.group}"
    assert the(group, "x:title").text == "SRG-APP-000141"

    rule = the(group, "x:Rule")
    rule_id = f"{PREFIX}rule_{expected.rule}"
    assert rule.get("id") == rule_id
    assert (rule.get("severity"), rule.get("weight")) == ("high", "10.0")
    assert the(rule, "x:version").text == "DKER-EE-002030"
    assert the(rule, "x:fixtext").get("fixref") == expected.fix
    assert the(rule, "x:fix").get("id") == expected.fix
    assert the(rule, "x:check").get("id") == expected.check
    idents = [(i.get("system"), i.text) for i in rule.iterfind("x:ident", NS)]
    assert idents == [(LEGACY_SYSTEM, legacy) for legacy in expected.legacy] + [
        (expected.cci_system, "CCI-000381")
    ]
    assert texts(rule, "x:reference[@href]/text()") == ["CM-7 a"]

    profiles = xccdf.findall("x:Profile", NS)
    assert [p.get("id") for p in profiles] == [f"{PREFIX}profile_{p}" for p in PROFILES]
    for profile in profiles:
        assert texts(profile, "x:select[@selected='true']/@idref") == [rule_id]

    value = the(xccdf, "x:Value")
    assert value.get("id") == f"{PREFIX}value_docker_data_root"
    assert the(value, "x:value").text == "/var/lib/docker"
    assert the(rule, "x:check/x:check-export").get("value-id") == value.get("id")


@pytest.mark.parametrize("release", EXPECTED)
def test_xccdf_agrees_with_disas_benchmark(
    generated: dict[str, Path], release: str, reference: Path
) -> None:
    """Dates and texts as DISA published them in that release."""
    disa = parse(reference / "disa" / EXPECTED[release].disa_file)
    disa_rule = the(disa, "//x11:Rule[x11:version='DKER-EE-002030']")
    xccdf = parse(generated[release] / f"dockscap-docker-{release}-xccdf.xml")
    rule = the(xccdf, "//x:Rule")

    assert the(xccdf, "x:status").get("date") == the(disa, "x11:status").get("date")
    assert the(xccdf, "x:title").text == the(disa, "x11:title").text
    description = the(xccdf, "x:description").text
    assert description == the(disa, "x11:description").text
    assert the(xccdf, "x:version").text == the(disa, "x11:version").text
    assert the(rule, "x:title").text == the(disa_rule, "x11:title").text
    assert the(rule, "x:fixtext").text == the(disa_rule, "x11:fixtext").text
    assert the(rule, "x:description").text == the(disa_rule, "x11:description").text
    assert [e.text for e in rule.iterfind("x:ident", NS)] == [
        e.text for e in disa_rule.iterfind("x11:ident", NS)
    ]


@pytest.mark.parametrize("release", ["V1R1", "V2R2"])
def test_components_refer_to_each_other(
    generated: dict[str, Path], release: str
) -> None:
    """check-export -> OVAL variable, check -> definition, platform -> CPE -> OVAL."""
    folder, name = generated[release], f"dockscap-docker-{release}"
    xccdf = parse(folder / f"{name}-xccdf.xml")
    oval = parse(folder / f"{name}-oval.xml")
    dictionary = parse(folder / f"{name}-cpe-dictionary.xml")
    cpe_oval = parse(folder / f"{name}-cpe-oval.xml")

    check = the(xccdf, "//x:Rule/x:check")
    assert check.get("system") == OVAL_DEF
    reference = the(check, "x:check-content-ref")
    assert reference.get("href") == f"{name}-oval.xml"
    the(oval, f"//o:definition[@id='{reference.get('name')}']")
    exported = the(check, "x:check-export").get("export-name")
    the(oval, f"//o:external_variable[@id='{exported}'][@datatype='string']")

    platform = the(xccdf, "x:platform").get("idref")
    item = the(dictionary, f"c:cpe-item[@name='{platform}']")
    cpe_check = the(item, "c:check")
    assert cpe_check.get("href") == f"{name}-cpe-oval.xml"
    definition = the(cpe_oval, f"//o:definition[@id='{cpe_check.text}']")
    assert definition.get("class") == "inventory"


def test_data_stream_catalogs_resolve_every_href(generated: dict[str, Path]) -> None:
    name = "dockscap-docker-V2R2"
    collection = parse(generated["V2R2"] / f"{name}-ds.xml")
    components = {c.get("id"): c for c in collection.iterfind("ds:component", NS)}
    refs = {r.get("id"): r for r in collection.iterfind(".//ds:component-ref", NS)}

    # Every href a component holds, mapped by its component-ref's catalog to a
    # component-ref of this data stream that points at a component holding it.
    hrefs = {
        "xccdf": (f"{name}-oval.xml", "//x:check-content-ref/@href"),
        "cpe-dictionary": (f"{name}-cpe-oval.xml", "//c:check/@href"),
    }
    for kind, (target, xpath) in hrefs.items():
        (ref,) = [
            r
            for r in refs.values()
            if r.get(f"{{{NS['xlink']}}}href", "").endswith(f"{name}-{kind}.xml")
        ]
        component = components[ref.get(f"{{{NS['xlink']}}}href")[1:]]
        assert set(texts(component, xpath)) == {target}
        uri = the(ref, f"cat:catalog/cat:uri[@name='{target}']").get("uri")
        target_ref = refs[uri[1:]]
        target_component = components[target_ref.get(f"{{{NS['xlink']}}}href")[1:]]
        assert len(target_component.xpath("o:oval_definitions", namespaces=NS)) == 1

    # Each component is the standalone file of the same name, element for element.
    for component in components.values():
        standalone = component.get("id").removeprefix("scap_dockscap_comp_")
        assert canonical(component[0]) == canonical(
            parse(generated["V2R2"] / standalone)
        )


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N without the indentation, which differs by nesting depth."""
    parser = etree.XMLParser(remove_blank_text=True)
    bare = etree.fromstring(etree.tostring(element), parser)
    data: bytes = etree.tostring(bare, method="c14n", exclusive=True)
    return data


# --- validity -----------------------------------------------------------------


def run_oscap(oscap: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [oscap, *arguments], capture_output=True, text=True, timeout=120
    )


@pytest.mark.oscap
@pytest.mark.parametrize("release", EXPECTED)
def test_oscap_validates_every_file(
    generated: dict[str, Path], release: str, oscap: str
) -> None:
    folder, name = generated[release], f"dockscap-docker-{release}"
    commands = [
        ("ds", "sds-validate", f"{name}-ds.xml"),
        ("xccdf", "validate", f"{name}-xccdf.xml"),
        ("oval", "validate", f"{name}-oval.xml"),
        ("oval", "validate", f"{name}-cpe-oval.xml"),
        ("cpe", "validate", f"{name}-cpe-dictionary.xml"),
    ]
    for module, command, file_name in commands:
        result = run_oscap(oscap, module, command, str(folder / file_name))
        assert result.returncode == 0, f"{command} {file_name}: {result.stderr}"


def schematron_errors(document: etree._Element) -> list[str]:
    """SCAP 1.3 Schematron (the rules OpenSCAP ships), errors only."""
    require(SCHEMATRON_XSL.is_file(), f"{SCHEMATRON_XSL} is missing (openscap-common)")
    transform = etree.XSLT(etree.parse(str(SCHEMATRON_XSL)))
    report = str(transform(etree.ElementTree(document)))
    return [line for line in report.splitlines() if line.startswith("Error")]


@pytest.mark.parametrize("release", EXPECTED)
def test_data_stream_meets_scap_13_schematron(
    generated: dict[str, Path], release: str
) -> None:
    collection = parse(generated[release] / f"dockscap-docker-{release}-ds.xml")

    assert schematron_errors(collection) == []


def test_scap_13_rejects_a_second_check_system() -> None:
    """Why the Engine API check stays out of the data stream (SRC-118-1)."""
    benchmark = load_benchmark()
    release = benchmark.release("V2R2")
    collection = datastream_tree(benchmark, release)
    (component,) = collection.xpath("ds:component[x:Benchmark]", namespaces=NS)
    component[0] = xccdf_benchmark_tree(benchmark, release, engine_api_check=True)

    errors = schematron_errors(collection)

    # SRC-25-1 and SRC-175-1 object to its inline check-content; SRC-118-1 to
    # the check system itself, whatever the check holds.
    assert "Error: SRC-118-1" in [error.split("|")[0] for error in errors]


@pytest.mark.oscap
def test_results_benchmark_may_name_the_engine_api_check(
    tmp_path: Path, oscap: str
) -> None:
    benchmark = load_benchmark()
    tree = xccdf_benchmark_tree(
        benchmark, benchmark.release("V1R1"), engine_api_check=True
    )
    path = tmp_path / "benchmark.xml"
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))

    result = run_oscap(oscap, "xccdf", "validate", str(path))

    assert result.returncode == 0, result.stderr
    systems = texts(tree, "//x:Rule/x:check/@system")
    assert systems == [OVAL_DEF, ENGINE_API_CHECK_SYSTEM]
    assert "HostConfig.ReadonlyRootfs = true" in the(tree, "//x:check-content").text


@pytest.mark.oscap
def test_tailoring_sets_the_data_root_in_every_profile(
    tmp_path: Path, oscap: str
) -> None:
    data_root = "/srv/docker root+x.(y)"

    code, stdout, stderr = generate(
        "--out", str(tmp_path), "--data-root", data_root + "/"
    )

    assert code == 0, stderr
    path = tmp_path / "dockscap-docker-V2R2-tailoring.xml"
    assert str(path) in stdout
    result = run_oscap(oscap, "xccdf", "validate", "--skip-schematron", str(path))
    assert result.returncode == 0, result.stderr
    tailoring = parse(path)
    profiles = tailoring.findall("x:Profile", NS)
    assert [p.get("extends") for p in profiles] == [
        f"{PREFIX}profile_{p}" for p in PROFILES
    ]
    for profile in profiles:
        assert profile.get("id") == f"{profile.get('extends')}_tailored"
        setting = the(profile, "x:set-value")
        assert setting.get("idref") == f"{PREFIX}value_docker_data_root"
        assert setting.text == data_root


def test_render_matches_the_written_files(generated: dict[str, Path]) -> None:
    benchmark = load_benchmark()
    content = render(benchmark, benchmark.release("V1R1"))

    for file in content.files():
        assert (generated["V1R1"] / file.name).read_bytes() == file.data


# --- the pattern the OVAL check uses ---------------------------------------

KEY = "ReadonlyRootfs"
# Strings as hostile as a label or an option can be: quotes, braces, the key.
hostile = st.text(alphabet=st.sampled_from(list('"{},:\\ truefalsReadonlyRootfs')))
scalar = st.one_of(st.booleans(), st.none(), st.integers(), hostile)
# HostConfig's nested maps (LogConfig.Config, Sysctls, Tmpfs...) hold strings.
nested = st.dictionaries(hostile, hostile, max_size=3)
host_config = st.dictionaries(
    st.one_of(hostile, st.just(KEY)), st.one_of(scalar, nested), max_size=6
)


@given(host_config)
def test_pattern_finds_only_a_top_level_true(document: dict[str, object]) -> None:
    """Go writes compact JSON: no `"ReadonlyRootfs":true` hides inside a string."""
    compact = json.dumps(document, separators=(",", ":"))
    pretty = json.dumps(document, indent=2)
    pattern = re.compile(host_config_pattern(KEY, True))

    expected = document.get(KEY) is True
    assert (pattern.search(compact) is not None) == expected
    assert (pattern.search(pretty) is not None) == expected
