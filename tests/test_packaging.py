"""What `pip install .` ships: every package of the tree and the shipped catalog."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
INSTALLED_AS = {"erengine": "erengine", "sftp": "erengine_sftp"}


def test_every_python_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    for folder, name in INSTALLED_AS.items():
        for init in (REPOSITORY / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPOSITORY / folder)
            package = ".".join((name, *relative.parts))
            assert package in listed, f"{package} is missing from [tool.setuptools] packages"


def test_the_wheel_holds_the_code_the_catalog_and_the_cli(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPOSITORY),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("erengine-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "erengine_cli/cli.py" in names
    assert "erengine_formats/nacha/nacha.yaml" in names
    assert "erengine_formats/models/payments.yaml" in names
    assert "erengine/py.typed" in names and "erengine_sftp/py.typed" in names
    shipped = {
        f"erengine_formats/{p.relative_to(REPOSITORY / 'formats')}"
        for p in (REPOSITORY / "formats").rglob("*.yaml")
    }
    assert shipped <= names
    assert not any(name.startswith(("tests/", "samples/", "bench/")) for name in names)
