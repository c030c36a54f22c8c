"""Light and dark: follow the system unless the user picked one.

Qt reports the system scheme on Windows, macOS and most Linux desktops; the
palette is set explicitly (Fusion) so both schemes look the same everywhere,
including platforms whose theme plugin cannot switch by itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from csmdesk.paths import resources_dir

THEMES = ("system", "light", "dark")
_current = "system"


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {
        role.Window: "#202225",
        role.WindowText: "#e6e6e6",
        role.Base: "#17181a",
        role.AlternateBase: "#1f2124",
        role.ToolTipBase: "#2b2d31",
        role.ToolTipText: "#e6e6e6",
        role.Text: "#e6e6e6",
        role.Button: "#2b2d31",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Link: "#6ea8fe",
        role.Highlight: "#2f6fde",
        role.HighlightedText: "#ffffff",
        role.PlaceholderText: "#8a8f98",
        role.Light: "#3a3d42",
        role.Midlight: "#303236",
        role.Mid: "#26282b",
        role.Dark: "#111214",
        role.Shadow: "#000000",
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#6b6f76"))
    return p


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> None:
    """Use ``theme`` ("system", "light" or "dark") for the whole application."""
    global _current
    _current = theme if theme in THEMES else "system"
    app.setStyle("Fusion")
    dark = _current == "dark" or (_current == "system" and system_is_dark())
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    themes = resources_dir() / "themes"
    qss = (themes / "base.qss").read_text(encoding="utf-8")
    if dark:
        icons = (resources_dir() / "icons").as_posix()
        qss += (themes / "dark.qss").read_text(encoding="utf-8").replace("ICONS", icons)
    app.setStyleSheet(qss)
    hints = QGuiApplication.styleHints()
    if not getattr(app, "_csmdesk_follows_scheme", False):
        hints.colorSchemeChanged.connect(lambda _scheme: _on_system_change(app))
        app._csmdesk_follows_scheme = True  # type: ignore[attr-defined]


def _on_system_change(app: QApplication) -> None:
    if _current == "system":
        apply_theme(app, "system")


def is_dark() -> bool:
    return _current == "dark" or (_current == "system" and system_is_dark())
