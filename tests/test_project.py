"""The project's promises about itself: conda and pip agree, the README's commands exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def normalized(requirement: str) -> tuple[str, str]:
    """("prompt-toolkit", ">=3.0") from "prompt_toolkit>=3.0" (PEP 503 names)."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*(.*?)\s*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match[1]).lower(), match[2].replace(" ", "")


def test_environment_yml_and_pyproject_agree_on_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())

    assert environment["channels"] == ["conda-forge"]
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = [d for d in environment["dependencies"] if isinstance(d, dict)]
    assert pip == [{"pip": ["-e ."]}], "labchat itself is installed with pip from the repo"
    conda_specs = dict(normalized(d) for d in conda)
    assert conda_specs.pop("python") == project["requires-python"]
    assert conda_specs.pop("pip") == ""
    assert conda_specs == dict(normalized(d) for d in project["dependencies"])


def test_the_readme_starts_with_the_two_commands_and_they_exist() -> None:
    first_lines = (ROOT / "README.md").read_text().splitlines()[:15]
    assert any("make lab" in line for line in first_lines)
    assert any("make test" in line for line in first_lines)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def notebook_table() -> str:
    """The README's table of notebooks: the section "The notebooks" up to the next heading."""
    readme = (ROOT / "README.md").read_text()
    return readme.split("## The notebooks", 1)[1].split("\n## ", 1)[0]


def test_the_readme_table_lists_every_notebook_english_and_persian() -> None:
    notebooks = ROOT / "notebooks"
    names = sorted(str(path.relative_to(notebooks).with_suffix(""))
                   for path in notebooks.rglob("*.ipynb") if ".ipynb_checkpoints" not in str(path))
    assert "09_classic_lessons" in names and "fa/00_glossary" in names
    table = notebook_table()
    assert [name for name in names if f"`{name}`" not in table] == []
