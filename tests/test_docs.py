"""The Markdown documentation keeps its promises: every link resolves, no table is written twice."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from testkit.servers import REPO_ROOT
from tests.markdown_docs import (
    anchors,
    broken_link,
    duplicated_tables,
    is_relative,
    links,
    markdown_files,
    slug,
    tables,
)


def _broken_links(files: list[Path], root: Path) -> list[str]:
    found = []
    for path in files:
        for link in links(path):
            if is_relative(link.target) and (why := broken_link(link, root)):
                found.append(why)
    return found


def test_the_repository_has_its_documentation() -> None:
    """The checks below read the READMEs and docs/ (an empty listing would pass them vacuously)."""
    names = {str(path.relative_to(REPO_ROOT)) for path in markdown_files(REPO_ROOT)}
    expected = {
        "README.md",
        "docs/operations.md",
        "docs/ci-cd.md",
        "services/backend/README.md",
        "services/frontend/README.md",
        "tests/swarm/README.md",
    }
    assert expected <= names


def test_every_relative_link_and_anchor_in_the_repository_resolves() -> None:
    files = markdown_files(REPO_ROOT)
    assert _broken_links(files, REPO_ROOT) == []


def test_no_table_is_written_in_two_files() -> None:
    """The settings and the benchmark figures live in one README each; others link to them."""
    everything = [table for path in markdown_files(REPO_ROOT) for table in tables(path)]
    assert len(everything) > 10
    assert duplicated_tables(everything) == []


def test_each_service_documents_its_settings_in_its_own_readme_only() -> None:
    """A settings table (header `variable | default | …`) stands only in a service's README."""
    homes = {
        str(table.source.relative_to(REPO_ROOT))
        for path in markdown_files(REPO_ROOT)
        for table in tables(path)
        if table.header[:2] == ("variable", "default")
    }
    assert homes == {"services/backend/README.md", "services/frontend/README.md"}


# The checker itself, on small trees: each kind of breakage is reported, and only breakage.


def test_a_missing_file_and_a_missing_anchor_are_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Set-up (`make run`)\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/guide.md#set-up-make-run) [gone](docs/missing.md)\n"
        "[bad anchor](docs/guide.md#setup) [here](#top) [site](https://example.org/x.md)\n"
        "`[in code](nowhere.md)` and [out](../elsewhere.md)\n\n# Top\n"
    )
    found = _broken_links([readme], tmp_path)
    assert len(found) == 3
    assert "no such file docs/missing.md" in found[0]
    assert "no heading or anchor #setup" in found[1]
    assert "outside the repository" in found[2]


def test_links_to_folders_and_html_anchors_resolve(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text('<a id="legacy-name"></a>\n\n[folder](secrets/) [old](#legacy-name)\n')
    assert _broken_links([readme], tmp_path) == []


def test_headings_get_githubs_anchors() -> None:
    """Anchors follow GitHub's rule: lower case, punctuation dropped, spaces become hyphens."""
    assert slug("Memory soak (`benchmarks/soak.py`)") == "memory-soak-benchmarkssoakpy"
    assert slug("7. Rolling update and rollback") == "7-rolling-update-and-rollback"
    assert slug("`format=html` and v1's `format` field") == "formathtml-and-v1s-format-field"


@given(
    heading=st.text(
        alphabet=st.characters(categories=("L", "N", "Zs", "Pd", "Po")), min_size=1, max_size=30
    ).filter(lambda text: slug(text) and not text.strip().startswith(("#", "-", "+", "*"))),
    repeats=st.integers(min_value=1, max_value=4),
)
def test_a_repeated_heading_gets_a_distinct_anchor_each_time(heading: str, repeats: int) -> None:
    text = "".join(f"## {heading}\n\npara\n\n" for _ in range(repeats))
    base = slug(heading)
    assert {base} | {f"{base}-{n}" for n in range(1, repeats)} <= anchors(text)


def test_a_table_copied_to_another_file_is_reported(tmp_path: Path) -> None:
    rows = "".join(f"| `SETTING_{n}` | `{n}` | what {n} does |\n" for n in range(6))
    table = "| variable | default | meaning |\n| --- | --- | --- |\n" + rows
    (tmp_path / "a.md").write_text("# A\n\n" + table)
    # The copy has been edited a little since: still the same table written twice.
    (tmp_path / "b.md").write_text("# B\n\n" + table.replace("what 3 does", "what 3 did"))
    found = duplicated_tables(tables(tmp_path / "a.md") + tables(tmp_path / "b.md"))
    assert len(found) == 1
    assert "share 6 of 6 rows" in found[0]


def test_two_services_sharing_a_few_setting_names_are_not_a_copy(tmp_path: Path) -> None:
    head = "| variable | default | meaning |\n| --- | --- | --- |\n"
    common = "| `LOG_LEVEL` | `INFO` | level |\n| `MAX_TEXT_CHARS` | `1000000` | longest |\n"
    own_a = "".join(f"| `A_{n}` | `{n}` | a |\n" for n in range(5))
    own_b = "".join(f"| `B_{n}` | `{n}` | b |\n" for n in range(5))
    (tmp_path / "a.md").write_text(head + common + own_a)
    (tmp_path / "b.md").write_text(head + common + own_b)
    assert duplicated_tables(tables(tmp_path / "a.md") + tables(tmp_path / "b.md")) == []
