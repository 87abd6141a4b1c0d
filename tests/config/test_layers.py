"""The import-linter layers contract (pyproject.toml, run by `make check`)
catches a lower layer importing a higher one, and keeps the code as it is.

Each test runs `lint-imports` with the repository's contract on a copy of the
project's packages (.py files only) in a temporary directory, so a probe
module never touches the checkout."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["config", "core", "timebank", "assets", "referrals", "coproduction", "brokering", "privacy", "api"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def only_python_files(folder: str, names: list[str]) -> list[str]:
    """copytree's ignore: everything but .py files and the folders that hold them."""
    return [
        name for name in names if name == "__pycache__" or not (name.endswith(".py") or (Path(folder) / name).is_dir())
    ]


def copy_packages(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=only_python_files)


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_layers_contract_is_kept_by_the_code_as_it_is(tmp_path):
    copy_packages(tmp_path)

    result = lint_imports(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_layers_contract_catches_a_lower_layer_importing_a_higher_one(tmp_path):
    copy_packages(tmp_path)
    (tmp_path / "timebank" / "_probe.py").write_text('"""A back-edge: the timebank importing the API."""\nimport api\n')

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "timebank._probe -> api" in result.stdout, result.stdout
