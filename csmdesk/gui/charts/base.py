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
from typing import Literal, cast

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import (
    Affine2D,
    Affine2DBase,
    ScaledTranslation,
    Transform,
    offset_copy,
)
from matplotlib.typing import LineStyleType
from numpy.typing import ArrayLike
from PySide6.QtCore import QEvent, QPoint, QSettings, Qt
from PySide6.QtGui import (
    QClipboard,
    QContextMenuEvent,
    QGuiApplication,
    QHideEvent,
    QImage,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QFileDialog, QMenu, QToolTip, QWidget

from csmdesk.gui import messages
from csmdesk.gui.charts.style import ChartStyle

log = logging.getLogger(__name__)

TICK_SIZE = 8.0
TITLE_SIZE = 9.5
SMALL_SIZE = 7.5
_SETTINGS_DIR_KEY = "charts/save_dir"


def _base_dpi(figure: Figure) -> float:
    """The figure's dpi before the canvas scaled it for a high-density screen."""
    return figure.dpi / (getattr(figure.canvas, "device_pixel_ratio", 1.0) or 1.0)


def render_png(figure: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes (at screen density unless ``dpi``), on its own background."""
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", dpi=dpi or _base_dpi(figure), facecolor=figure.get_facecolor()
    )
    return buffer.getvalue()


def save_png(figure: Figure, path: str | Path, dpi: float | None = None) -> Path:
    """Write the figure to ``path`` (``.png`` added when missing); returns the path written."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        target = target.with_name(target.name + ".png")
    target.write_bytes(render_png(figure, dpi))
    return target


def figure_image(figure: Figure, device_pixel_ratio: float = 1.0) -> QImage:
    """The figure as a QImage with as many pixels as the screen shows, so a paste is sharp."""
    image = QImage.fromData(render_png(figure, _base_dpi(figure) * device_pixel_ratio))
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
    fit = max(1.0, width_pt / 40.0)
    step = next((s for s in (1, 2, 3, 4, 6) if len(months) / s <= fit), 12)
    if step > 1:
        jan = next((i for i, d in enumerate(months) if d.month == 1), 0)
        months = months[jan % step :: step]
    labels = [
        f"{d:%b}\n{d.year}" if i == 0 or d.month == 1 else f"{d:%b}" for i, d in enumerate(months)
    ]
    return [d.toordinal() for d in months], labels


@dataclass(frozen=True)
class Key:
    """One entry of a chart's key: a ``line``, a filled ``box`` or a ``dot`` in ``color``."""

    label: str
    color: str
    kind: str = "box"
    linestyle: LineStyleType = "-"
    alpha: float = 1.0
    edge: str | None = None


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
        # Matplotlib pins a white palette on the canvas; inherit the theme's instead, so palette
        # changes reach the chart and a resize never flashes white in the dark theme.
        self.setPalette(QPalette())
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
        self._keys: list[Key] = []
        self._key_artists: list[Artist] = []
        self._widths: dict[tuple[str, float, bool], float] = {}
        self._top_left: Transform | None = None
        self._axes_key: tuple[int, bool] | None = None
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
        return self.palette()

    def _set_render(self, render: Callable[[], bool]) -> None:
        self._render = render
        self._rebuild()

    def _reset(self, keep_axes: bool = True) -> None:
        """Forget the last plot; axes are kept for reuse (creating ticks is the costly part)."""
        fig = self.figure
        if keep_axes:
            for artist in [*fig.texts, *fig.artists]:
                artist.remove()
        else:
            fig.clear()
            self._axes_key = None
        self._points.clear()
        self._slices.clear()
        self._patches.clear()
        self._date_axes.clear()
        self._margins = Margins()
        self._keys = []
        self._key_artists = []
        self.hover_text = None

    def _rebuild(self) -> None:
        fig, style = self.figure, self.chart_style
        self._reset()
        fig.set_facecolor(style.figure)
        drawn = self._render() if self._render is not None else False
        self._empty = not drawn
        if not drawn:
            self._reset(keep_axes=False)
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

    def _subplots(self, columns: int = 1, twin: bool = False) -> list[Axes]:
        """``columns`` axes side by side (plus a twin of the first), emptied for a new plot."""
        fig = self.figure
        key = (columns, twin)
        if key != self._axes_key or len(fig.axes) != columns + twin:
            fig.clear()
            axes = [fig.add_subplot(1, columns, i + 1) for i in range(columns)]
            if twin:
                axes.append(axes[0].twinx())
            self._axes_key = key
            return axes
        for ax in fig.axes:
            for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images]:
                artist.remove()
            ax.containers.clear()
        return list(fig.axes)

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
        specs = [ax.get_subplotspec() for ax in self.figure.axes]
        ncols = max((spec.get_geometry()[1] for spec in specs if spec is not None), default=1)
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

    # -- drawing helpers for subclasses ------------------------------------------------------

    def _style_axes(self, ax: Axes, grid: Literal["x", "y"] | None = "y") -> None:
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

    def _legend(self, keys: Sequence[Key]) -> None:
        """A key beside the title, or below it (wrapped) when the chart is too narrow."""
        self._keys = list(keys)

    def _place_legend(self, width_pt: float) -> float:
        """Lay the key out for this width; returns the extra top margin it needs.

        Drawn as plain lines, boxes and texts: Matplotlib's Legend re-packs itself on every
        draw, which cost a third of a chart's draw time.
        """
        for artist in self._key_artists:
            artist.remove()
        self._key_artists = []
        if not self._keys:
            return 0.0
        swatch, gap, spacing = 12.0, 4.0, 10.0
        widths = [swatch + gap + self._label_width(k.label) for k in self._keys]
        row = sum(widths) + spacing * (len(widths) - 1)
        title = self._label_width(self.title, TITLE_SIZE, bold=True) + 8 if self.title else 0.0
        beside = 8 + title + 16 + row + 8 <= width_pt
        x = width_pt - 8 - row if beside else 8.0
        y = -10.5 if beside else -(TITLE_SIZE + 17)
        rows = 1
        for key, width in zip(self._keys, widths, strict=True):
            if not beside and x > 8 and x + width > width_pt - 8:
                x, y, rows = 8.0, y - (SMALL_SIZE + 6), rows + 1
            self._key_artists += self._draw_key(key, x, y, swatch, gap)
            x += width + spacing
        return 0.0 if beside else rows * (SMALL_SIZE + 6) + 6

    def _label_width(self, text: str, size: float = SMALL_SIZE, bold: bool = False) -> float:
        """The width of ``text`` in points, measured by the renderer (cached)."""
        cache_key = (text, size, bold)
        if cache_key not in self._widths:
            prop = FontProperties(size=size, weight="bold" if bold else "normal")
            renderer = self.get_renderer()
            width_px, _h, _d = renderer.get_text_width_height_descent(text, prop, ismath=False)
            self._widths[cache_key] = width_px * 72 / self.figure.dpi
        return self._widths[cache_key]

    def _draw_key(self, key: Key, x: float, y: float, swatch: float, gap: float) -> list[Artist]:
        fig, at = self.figure, self._points_from_top_left()
        if key.kind == "line":
            mark: Artist = Line2D(
                [x, x + swatch],
                [y, y],
                color=key.color,
                linewidth=1.6,
                linestyle=key.linestyle,
                transform=at,
            )
        elif key.kind == "dot":
            mark = Line2D(
                [x + swatch / 2],
                [y],
                linestyle="none",
                marker="o",
                markersize=5.5,
                markerfacecolor=key.color,
                markeredgecolor=key.edge or key.color,
                markeredgewidth=0.8,
                transform=at,
            )
        else:
            mark = Rectangle(
                (x, y - 3.5),
                swatch,
                7,
                facecolor=key.color,
                alpha=key.alpha,
                linewidth=0,
                transform=at,
            )
        label = Text(
            x + swatch + gap,
            y,
            key.label,
            fontsize=SMALL_SIZE,
            color=self.chart_style.text,
            va="center_baseline",
            ha="left",
            transform=at,
        )
        fig.add_artist(mark)
        fig.add_artist(label)
        return [mark, label]

    def _points_from_top_left(self) -> Transform:
        """Points right and up from the figure's top-left corner, whatever its size or dpi."""
        if self._top_left is None:
            fig = self.figure
            self._top_left = (
                Affine2D().scale(1 / 72)
                + fig.dpi_scale_trans
                + ScaledTranslation(0, 1, cast(Affine2DBase, fig.transFigure))
            )
        return self._top_left

    def key_labels(self) -> list[Text]:
        """The texts of the key, as laid out for the current size."""
        return [a for a in self._key_artists if isinstance(a, Text)]

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

    def _hover_points(self, ax: Axes, xs: ArrayLike, ys: ArrayLike, texts: list[str]) -> None:
        if texts:
            self._points.append(_Points(ax, np.column_stack([xs, ys]).astype(float), texts))

    def _hover_slices(
        self, ax: Axes, positions: ArrayLike, texts: list[str], axis: str = "x"
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
        probe = MouseEvent("motion_notify_event", self, round(x), round(y))
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
        if text is None or not self.isVisible():
            QToolTip.hideText()
            return
        ratio = self.device_pixel_ratio or 1.0
        pos = QPoint(round(event.x / ratio), round(self.height() - event.y / ratio))
        QToolTip.showText(self.mapToGlobal(pos), text, self)

    def _on_leave(self, _event: object) -> None:
        self.hover_text = None
        QToolTip.hideText()

    def hideEvent(self, event: QHideEvent) -> None:
        if self.hover_text is not None:
            self._on_leave(None)
        super().hideEvent(event)

    # -- copy and save -----------------------------------------------------------------------

    def export_dpi(self) -> float:
        """At least twice the screen density, so a saved chart stays sharp on a slide."""
        return _base_dpi(self.figure) * max(2.0, self.device_pixel_ratio or 1.0)

    def export_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", (self.title or "chart").lower()).strip("-")
        return f"{slug or 'chart'}.png"

    def _sync_size(self) -> None:
        """A chart resized while hidden has not told Matplotlib yet; an export must not be stale."""
        if self.testAttribute(Qt.WidgetAttribute.WA_PendingResizeEvent):
            self.resizeEvent(QResizeEvent(self.size(), self.size()))

    def copy_image(self) -> QImage:
        self._sync_size()
        return copy_image(self.figure, device_pixel_ratio=self.device_pixel_ratio or 1.0)

    def save_as(self, path: str | Path) -> Path:
        self._sync_size()
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
