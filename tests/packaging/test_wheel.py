"""The wheel really ships what the app needs: build it, install it into a fresh venv, start it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("csmdesk-*.whl")
    return built


def test_wheel_contains_forms_resources_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "csmdesk/gui/forms/ui_account_dialog.py",
        "csmdesk/resources/themes/base.qss",
        "csmdesk/resources/icons/csmdesk.svg",
        "csmdesk/resources/demo/vocabulary.json",
        "csmdesk/store/migrations/env.py",
        "csmdesk/store/migrations/script.py.mako",
        "csmdesk/store/migrations/versions/0001_initial.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    assert not any(n.startswith("tests/") for n in names)


def test_installed_app_starts_offscreen_on_the_demo_book(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies come from this environment (no network needed); csmdesk itself only from the
    # wheel, which is unpacked into the venv's own site-packages and so is found first.
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CSMDESK_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("PYTHONPATH", None)
    where = subprocess.run(
        [str(python), "-c", "import csmdesk, sys; print(csmdesk.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(site), f"imported {where}, not the installed wheel"

    version = subprocess.run(
        [str(python), "-m", "csmdesk", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.returncode == 0 and version.stdout.startswith("csmdesk ")

    run = subprocess.run(
        [str(python), "-m", "csmdesk", "--demo", "--quit-after", "1500"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    demo = tmp_path / "data" / "csmdesk-demo.sqlite3"
    assert demo.exists() and demo.stat().st_size > 100_000
    log = (tmp_path / "data" / "logs" / "csmdesk.log").read_text()
    assert "window shown" in log
