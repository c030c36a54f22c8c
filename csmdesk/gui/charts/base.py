"""The canvas every chart shares: theme, layout, hover text, copy and save.

A chart keeps the arguments of its last ``plot()`` and rebuilds the figure from them, so a
theme change (``restyle()``) or an empty state is the same code path as a first draw. The
layout is computed from fixed margins in points rather than Matplotlib's constrained layout,
which would double the cost of every draw.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.transforms import Transform, offset_copy
from PySide6.QtCore import QEvent, QPoint, QSettings
from PySide6.QtGui import QClipboard, QContextMenuEvent, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QToolTip, QWidget

from csmdesk.gui import messages
from csmdesk.gui.charts.style import ChartStyle

log = logging.getLogger(__name__)

TICK_SIZE = 8.0
TITLE_SIZE = 9.5
SMALL_SIZE = 7.5
_SETTINGS_DIR_KEY = "charts/save_dir"


def render_png(figure: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes, on its own background colour (dark stays dark)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or "figure", facecolor=figure.get_facecolor())
    return buffer.getvalue()


def save_png(figure: Figure, path: str | Path, dpi: float | None = None) -> Path:
    """Write the figure to ``path`` (``.png`` added when missing); returns the path written."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        target = target.with_name(target.name + ".png")
    target.write_bytes(render_png(figure, dpi))
    return target


def figure_image(figure: Figure, device_pixel_ratio: float = 1.0) -> QImage:
    """The figure as a QImage at the screen's pixel ratio, so a paste into a Qt app is sharp."""
    image = QImage.fromData(render_png(figure))
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def copy_image(
    figure: Figure, clipboard: QClipboard | None = None, device_pixel_ratio: float = 1.0
) -> QImage:
    image = figure_image(figure, device_pixel_ratio)
    (clipboard or QGuiApplication.clipboard()).setImage(image)
    return image


def text_width_pt(text: str, size: float = TICK_SIZE) -> float:
    """A generous estimate of a label's width (DejaVu Sans averages ~0.6 em per character)."""
    return max((len(line) for line in text.splitlines()), default=0) * 0.62 * size


def month_ticks(start: date, end: date, width_pt: float) -> tuple[list[int], list[str]]:
    """First-of-month ticks between two dates, thinned to fit ``width_pt``."""
    months: list[date] = []
    y, m = start.year, start.month
    if start.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    while date(y, m, 1) <= end:
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    fit = max(1.0, width_pt / 30.0)
    step = next((s for s in (1, 2, 3, 4, 6) if len(months) / s <= fit), 12)
    if step > 1:
        jan = next((i for i, d in enumerate(months) if d.month == 1), 0)
        months = months[jan % step :: step]
    labels = [
        f"{d:%b}\n{d.year}" if i == 0 or d.month == 1 else f"{d:%b}" for i, d in enumerate(months)
    ]
    return [d.toordinal() for d in months], labels


@dataclass
class Margins:
    """Space around the plot area in points: tick labels, title row, legend."""

    left: float = 36.0
    right: float = 12.0
    top: float = 26.0
    bottom: float = 18.0
    wspace: float = 0.0


@dataclass
class _Points:
    ax: Axes
    xy: np.ndarray
    texts: list[str]


@dataclass
class _Slices:
    ax: Axes
    positions: np.ndarray
    texts: list[str]
    axis: str


class ChartCanvas(FigureCanvasQTAgg):
    """Base of every chart: subclasses implement ``plot()`` and a ``_draw_*`` that returns
    whether there was anything to draw."""

    title = ""
    empty_text = "No data yet."
    HOVER_RADIUS = 8.0

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        title: str | None = None,
        empty_text: str | None = None,
    ) -> None:
        super().__init__(Figure(figsize=(4.8, 2.8), dpi=100))
        self._ready = False
        if parent is not None:
            self.setParent(parent)
        if title is not None:
            self.title = title
        if empty_text is not None:
            self.empty_text = empty_text
        self.setMinimumSize(260, 170)
        self.chart_style = ChartStyle.from_palette(self._source_palette())
        self.hover_text: str | None = None
        self._render: Callable[[], bool] | None = None
        self._empty = True
        self._margins = Margins()
        self._points: list[_Points] = []
        self._slices: list[_Slices] = []
        self._patches: list[tuple[Artist, str]] = []
        self._date_axes: list[tuple[Axes, date, date]] = []
        self._legend_obj: Legend | None = None
        self._legend_items: tuple[list[Artist], list[str]] | None = None
        self._legend_key: tuple[bool, int] | None = None
        self.mpl_connect("motion_notify_event", self._on_motion)
        self.mpl_connect("figure_leave_event", self._on_leave)
        self.mpl_connect("resize_event", self._on_resize)
        self._ready = True
        self._rebuild()

    # -- state -------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return self._empty

    @property
    def axes(self) -> list[Axes]:
        return list(self.figure.axes)

    def restyle(self, dark: bool | None = None) -> None:
        """Take colours from the palette again (or force ``dark``) and redraw."""
        style = ChartStyle.from_palette(self._source_palette(), dark)
        if style != self.chart_style:
            self.chart_style = style
            self._rebuild()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        kinds = (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
            QEvent.Type.ParentChange,
        )
        if getattr(self, "_ready", False) and event.type() in kinds:
            self.restyle()

    def _source_palette(self) -> QPalette:
        # Matplotlib gives the canvas its own white palette; the surroundings tell the theme.
        parent = self.parentWidget()
        return parent.palette() if parent is not None else QApplication.palette()

    def _set_render(self, render: Callable[[], bool]) -> None:
        self._render = render
        self._rebuild()

    def _reset(self) -> None:
        self.figure.clear()
        self._points.clear()
        self._slices.clear()
        self._patches.clear()
        self._date_axes.clear()
        self._margins = Margins()
        self._legend_obj = None
        self._legend_items = None
        self._legend_key = None
        self.hover_text = None

    def _rebuild(self) -> None:
        fig, style = self.figure, self.chart_style
        self._reset()
        fig.set_facecolor(style.figure)
        drawn = self._render() if self._render is not None else False
        self._empty = not drawn
        if not drawn:
            self._reset()
            fig.text(
                0.5,
                0.5,
                self.empty_text,
                ha="center",
                va="center",
                wrap=True,
                color=style.muted,
                fontsize=TITLE_SIZE,
            )
        if self.title:
            fig.text(
                0,
                1,
                self.title,
                ha="left",
                va="top",
                fontsize=TITLE_SIZE,
                fontweight="bold",
                color=style.text,
                transform=self._corner(8, -6),
            )
        self._layout()
        self.draw_idle()

    # -- layout ------------------------------------------------------------------------------

    def _corner(self, dx: float, dy: float) -> Transform:
        """Figure coordinates shifted by ``dx``/``dy`` points: fixed gaps whatever the size."""
        return offset_copy(self.figure.transFigure, fig=self.figure, x=dx, y=dy, units="points")

    def _on_resize(self, _event: object) -> None:
        self._layout()

    def _layout(self) -> None:
        if not self.figure.axes:
            return
        w_in, h_in = self.figure.get_size_inches()
        w, h = max(w_in * 72, 1.0), max(h_in * 72, 1.0)
        m = self._margins
        extra_top = self._place_legend(w)
        left, right = min(m.left / w, 0.45), max(1 - m.right / w, 0.55)
        bottom, top = min(m.bottom / h, 0.45), max(1 - (m.top + extra_top) / h, 0.55)
        ncols = max((ax.get_subplotspec().get_geometry()[1] for ax in self._grid_axes()), default=1)
        plot_w = (right - left) * w
        axis_w = max((plot_w - m.wspace * (ncols - 1)) / ncols, 1.0)
        self.figure.subplots_adjust(
            left=left, right=right, bottom=bottom, top=top, wspace=m.wspace / axis_w
        )
        for ax, start, end in self._date_axes:
            ticks, labels = month_ticks(start, end, axis_w)
            ax.set_xticks(ticks, labels)
        self._after_layout(axis_w)

    def _after_layout(self, axis_width_pt: float) -> None:
        """Hook: show or hide details that only fit when the plot is wide enough."""

    def _grid_axes(self) -> list[Axes]:
        return [ax for ax in self.figure.axes if ax.get_subplotspec() is not None]

    # -- drawing helpers for subclasses ------------------------------------------------------

    def _style_axes(self, ax: Axes, grid: str | None = "y") -> None:
        s = self.chart_style
        ax.set_facecolor(s.axes)
        for side, spine in ax.spines.items():
            spine.set_visible(side in ("left", "bottom"))
            spine.set_color(s.spine)
        ax.tick_params(colors=s.spine, labelcolor=s.text, labelsize=TICK_SIZE, length=3, width=0.8)
        if grid:
            ax.grid(axis=grid, color=s.grid, linewidth=0.8)
            ax.set_axisbelow(True)

    def _date_axis(self, ax: Axes, start: date, end: date) -> None:
        """Ordinal-day x values with month ticks that thin out as the chart narrows."""
        self._date_axes.append((ax, start, end))
        self._margins.bottom = max(self._margins.bottom, 2.4 * TICK_SIZE + 8)

    def _legend(self, handles: Sequence[Artist], labels: Sequence[str]) -> None:
        """A legend beside the title, or below it (wrapped) when the chart is too narrow."""
        self._legend_items = (list(handles), list(labels))

    def _place_legend(self, width_pt: float) -> float:
        """(Re)build the legend where it fits; returns the extra top margin it needs."""
        if not self._legend_items:
            return 0.0
        handles, labels = self._legend_items
        em = SMALL_SIZE
        widths = [text_width_pt(t, SMALL_SIZE) + 1.9 * em for t in labels]
        title = text_width_pt(self.title, TITLE_SIZE) * 1.08 + 16 if self.title else 0.0
        beside = title + sum(widths) + 1.1 * em * (len(widths) - 1) + em <= width_pt
        ncols = len(labels)
        while not beside and ncols > 1 and ncols * (max(widths) + 1.1 * em) + em > width_pt:
            ncols -= 1
        key = (beside, ncols)
        if key != self._legend_key:
            if self._legend_obj is not None:
                self._legend_obj.remove()
            self._legend_obj = self.figure.legend(
                handles,
                labels,
                loc="upper right" if beside else "upper left",
                bbox_to_anchor=(1, 1) if beside else (0, 1),
                bbox_transform=self._corner(-4, 1) if beside else self._corner(2, -TITLE_SIZE - 6),
                ncols=ncols,
                frameon=False,
                fontsize=SMALL_SIZE,
                handlelength=1.4,
                handletextpad=0.5,
                columnspacing=1.1,
                borderaxespad=0.3,
                labelspacing=0.3,
                labelcolor=self.chart_style.text,
            )
            self._legend_obj.set_in_layout(False)
            self._legend_key = key
        rows = -(-len(labels) // ncols)
        return 0.0 if beside else rows * (SMALL_SIZE + 4) + 6

    def _subtitle(self, text: str, color: str | None = None) -> None:
        """A short right-aligned note in the title band (e.g. today's value)."""
        self.figure.text(
            1,
            1,
            text,
            ha="right",
            va="top",
            fontsize=TITLE_SIZE,
            fontweight="bold",
            color=color or self.chart_style.text,
            transform=self._corner(-10, -6),
        )

    # -- hover -------------------------------------------------------------------------------

    def _hover_points(
        self, ax: Axes, xs: Sequence[float], ys: Sequence[float], texts: list[str]
    ) -> None:
        if texts:
            self._points.append(_Points(ax, np.column_stack([xs, ys]).astype(float), texts))

    def _hover_slices(
        self, ax: Axes, positions: Sequence[float], texts: list[str], axis: str = "x"
    ) -> None:
        """Hovering anywhere in a column (or a row, ``axis="y"``) shows that column's text."""
        if texts:
            self._slices.append(_Slices(ax, np.asarray(positions, dtype=float), texts, axis))

    def _hover_patch(self, artist: Artist, text: str) -> None:
        self._patches.append((artist, text))

    def hover_text_at(self, x: float, y: float) -> str | None:
        """What hovering at display pixel (x, y) shows: markers, then bars, then columns."""
        radius = self.HOVER_RADIUS * self.device_pixel_ratio
        best: tuple[float, str] | None = None
        for group in self._points:
            disp = group.ax.transData.transform(group.xy)
            dist = np.hypot(disp[:, 0] - x, disp[:, 1] - y)
            i = int(np.nanargmin(dist)) if np.isfinite(dist).any() else -1
            if i >= 0 and dist[i] <= radius and (best is None or dist[i] < best[0]):
                best = (float(dist[i]), group.texts[i])
        if best is not None:
            return best[1]
        probe = MouseEvent("motion_notify_event", self, x, y)
        for artist, text in self._patches:
            if artist.contains(probe)[0]:
                return text
        for s in self._slices:
            if not s.ax.bbox.contains(x, y):
                continue
            col = 0 if s.axis == "x" else 1
            pts = np.zeros((len(s.positions), 2))
            pts[:, col] = s.positions
            disp = s.ax.transData.transform(pts)[:, col]
            coord = x if s.axis == "x" else y
            i = int(np.argmin(np.abs(disp - coord)))
            gaps = np.abs(np.diff(np.sort(disp)))
            reach = max(radius, float(gaps.min()) / 2 if len(gaps) else np.inf)
            if abs(disp[i] - coord) <= reach:
                return s.texts[i]
        return None

    def hover_at_data(self, x: float, y: float, ax: Axes | None = None) -> str | None:
        """Move the mouse (as Matplotlib sees it) over a data point; returns the text shown."""
        target = ax or self.figure.axes[0]
        dx, dy = target.transData.transform((x, y))
        self.callbacks.process(
            "motion_notify_event", MouseEvent("motion_notify_event", self, dx, dy)
        )
        return self.hover_text

    def _on_motion(self, event: MouseEvent) -> None:
        if event.x is None or event.y is None:
            return
        text = self.hover_text_at(event.x, event.y)
        self.hover_text = text
        if text is None:
            QToolTip.hideText()
            return
        ratio = self.device_pixel_ratio or 1.0
        pos = QPoint(round(event.x / ratio), round(self.height() - event.y / ratio))
        QToolTip.showText(self.mapToGlobal(pos), text, self)

    def _on_leave(self, _event: object) -> None:
        self.hover_text = None
        QToolTip.hideText()

    # -- copy and save -----------------------------------------------------------------------

    def export_dpi(self) -> float:
        """At least twice the screen density, so a saved chart stays sharp on a slide."""
        ratio = self.device_pixel_ratio or 1.0
        return self.figure.dpi / ratio * max(2.0, ratio)

    def export_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", (self.title or "chart").lower()).strip("-")
        return f"{slug or 'chart'}.png"

    def copy_image(self) -> QImage:
        return copy_image(self.figure, device_pixel_ratio=self.device_pixel_ratio or 1.0)

    def save_as(self, path: str | Path) -> Path:
        return save_png(self.figure, path, dpi=self.export_dpi())

    def save_as_dialog(self) -> Path | None:
        settings = QSettings()
        folder = str(settings.value(_SETTINGS_DIR_KEY, str(Path.home())))
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save chart as PNG", str(Path(folder) / self.export_name()), "PNG image (*.png)"
        )
        if not path:
            return None
        try:
            saved = self.save_as(path)
        except OSError as exc:
            log.warning("saving chart to %s failed: %s", path, exc)
            messages.error(self, "Could not save the chart", f"{path}\n{exc.strerror or exc}")
            return None
        settings.setValue(_SETTINGS_DIR_KEY, str(saved.parent))
        return saved

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        copy = menu.addAction("Copy image")
        copy.triggered.connect(self.copy_image)
        save = menu.addAction("Save as PNG…")
        save.triggered.connect(self.save_as_dialog)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        QToolTip.hideText()
        menu = self.context_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()
