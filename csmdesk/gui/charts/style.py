"""Chart colours from the Qt palette, so charts follow the light or dark theme.

The palette is the source of truth: ``theme.apply_theme`` sets it from ``theme.is_dark()``,
and a dark palette on a parent widget is honoured too.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

_BANDS_LIGHT = {
    "healthy": "#2e9d5b",
    "watch": "#d08c00",
    "at_risk": "#d63031",
    "unscored": "#8a8f98",
}
_BANDS_DARK = {
    "healthy": "#4cc38a",
    "watch": "#f0b429",
    "at_risk": "#ff6b6b",
    "unscored": "#8a8f98",
}


def _hex(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexRgb)


def _mix(a: QColor, b: QColor, t: float) -> str:
    """``a`` moved ``t`` of the way towards ``b``."""
    return _hex(
        QColor.fromRgbF(
            a.redF() + (b.redF() - a.redF()) * t,
            a.greenF() + (b.greenF() - a.greenF()) * t,
            a.blueF() + (b.blueF() - a.blueF()) * t,
        )
    )


@dataclass(frozen=True)
class ChartStyle:
    dark: bool
    figure: str
    axes: str
    text: str
    muted: str
    grid: str
    spine: str
    accent: str
    secondary: str
    bars: str
    bands: dict[str, str]
    band_alpha: float

    def band(self, band: str) -> str:
        return self.bands.get(str(band), self.bands["unscored"])

    @classmethod
    def from_palette(cls, palette: QPalette, dark: bool | None = None) -> ChartStyle:
        role = QPalette.ColorRole
        window, base = palette.color(role.Window), palette.color(role.Base)
        text = palette.color(role.WindowText)
        if dark is None:
            dark = window.lightnessF() < 0.5
        if dark != (window.lightnessF() < 0.5):
            # Asked for the other scheme than the palette has: use our own neutrals.
            window, base = (
                QColor("#202225" if dark else "#efefef"),
                QColor("#17181a" if dark else "#ffffff"),
            )
            text = QColor("#e6e6e6" if dark else "#1f2328")
        return cls(
            dark=dark,
            figure=_hex(window),
            axes=_hex(base),
            text=_hex(text),
            muted=_mix(text, base, 0.42),
            grid=_mix(text, base, 0.86 if dark else 0.88),
            spine=_mix(text, base, 0.6),
            accent="#6ea8fe" if dark else "#2f6fde",
            secondary="#b8bcc4" if dark else "#5b616b",
            bars="#5a7fb8" if dark else "#9db7e0",
            bands=dict(_BANDS_DARK if dark else _BANDS_LIGHT),
            band_alpha=0.16 if dark else 0.11,
        )
