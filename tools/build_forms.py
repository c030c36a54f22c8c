"""Compile ui/*.ui into csmdesk/gui/forms/ui_*.py with pyside6-uic.

Each output starts with the SHA-256 of its source, so a test can tell when a
form was edited without being recompiled. Run: ``python tools/build_forms.py``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "ui"
OUT_DIR = ROOT / "csmdesk" / "gui" / "forms"
HEADER = "# source-sha256: "


def source_hash(ui_file: Path) -> str:
    return hashlib.sha256(ui_file.read_bytes()).hexdigest()


def output_for(ui_file: Path) -> Path:
    return OUT_DIR / f"ui_{ui_file.stem}.py"


def compile_form(ui_file: Path) -> Path:
    uic = shutil.which("pyside6-uic")
    if uic is None:
        sys.exit("pyside6-uic was not found; install PySide6-Essentials")
    code = subprocess.run(
        [uic, "--from-imports", str(ui_file)], check=True, capture_output=True, text=True
    ).stdout
    # uic writes an absolute-looking "Form generated from reading UI file" line; keep output stable.
    lines = [ln for ln in code.splitlines() if "Created by: Qt User Interface Compiler" not in ln]
    out = output_for(ui_file)
    out.write_text(f"{HEADER}{source_hash(ui_file)}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "__init__.py").write_text('"""Forms compiled from ui/ by tools/build_forms.py."""\n')
    for ui_file in sorted(UI_DIR.glob("*.ui")):
        print(compile_form(ui_file).relative_to(ROOT))


if __name__ == "__main__":
    main()
