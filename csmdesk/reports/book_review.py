"""The book review: one landscape page of the book's numbers for a CSM's manager, as a PDF or
a PNG of the same page. The title (the period), the subtitle and the day it was prepared, the
warnings, the nine tiles of :func:`kpi_summary.tiles` in three rows, then the ARR bridge, ARR
at risk by renewal month and health by ARR from :mod:`csmdesk.reports.kpi_charts`, so the page
says what the Numbers page says. Every line is elided to its box, so long names or warnings
never push anything off the page. Words are real text; only the plots are pictures.

QPainter on a QPdfWriter or a QImage (QtGui only), so it runs on a worker thread. The page is
made in memory and the file appears only when complete (written aside, then renamed): a
cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QImageWriter,
    QPageLayout,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
    QTextLayout,
    QTextOption,
)

from csmdesk.reports import ExportCancelled
from csmdesk.reports import kpi_charts as charts
from csmdesk.reports.qbr_pdf import _page_size
from csmdesk.services import kpi_summary as ks
from csmdesk.services.kpis import Dashboard

log = logging.getLogger(__name__)

Progress = Callable[[int, int], bool]
PDF_DPI, PNG_DPI, CHART_DPI = 300, 150, 200
STEPS = 4  # start, three charts
MARGIN, GAP, PAD = 36.0, 8.0, 9.0  # points
TILE_H = 68.0
CHART_WEIGHTS = (0.4, 0.3, 0.3)
TEXT, MUTED, ACCENT = QColor(charts.PRINT.text), QColor(charts.PRINT.muted), QColor("#2f6fde")
WARN = QColor("#8a5a00")
BOX, BORDER, RULE = QColor("#f5f7fa"), QColor("#dfe3e8"), QColor("#c9ced6")
STANDING = {ks.GOOD: QColor("#1f8048"), ks.NEAR: QColor("#b07400"), ks.POOR: QColor("#c62828")}
CHANGE = {1: STANDING[ks.GOOD], -1: STANDING[ks.POOR]}
CHART_TITLES = ("ARR bridge", "ARR at risk by renewal month", "Health by ARR")
SHORT_BRIDGE = {"Expansion": "Exp.", "Contraction": "Contr."}
Draw = Callable[[Axes], list[charts.Bar]]
Box = tuple[float, float, float, float]  # x, y, width, height in points


def page_rect() -> QRectF:
    """The landscape page in points (Letter or A4, as :func:`qbr_pdf._page_size` picks)."""
    layout = QPageLayout(_page_size(), QPageLayout.Orientation.Landscape, QMarginsF())
    return layout.fullRect(QPageLayout.Unit.Point)


def write_book_review(
    dash: Dashboard,
    path: Path | str,
    *,
    choice: str = ks.TRAILING,
    progress: Progress | None = None,
) -> Path:
    """Write the review to ``path`` (``.pdf`` or ``.png``); returns the path.
    ``progress(done, total)`` returning False cancels (:class:`ExportCancelled`, no file)."""
    target = Path(path)
    kind = target.suffix.lower()
    if kind not in (".pdf", ".png"):
        raise ValueError(f"A book review is written as .pdf or .png, not {target.name!r}")
    report = progress or (lambda done, total: True)
    if not report(0, STEPS):
        raise ExportCancelled
    data = _pdf(dash, choice, report) if kind == ".pdf" else _png(dash, choice, report)
    part = target.with_name(target.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    report(STEPS, STEPS)
    log.info("Book review written: %s, %d bytes", kind, len(data))
    return target


def _pdf(dash: Dashboard, choice: str, report: Progress) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"Book review \u00b7 {ks.period_title(choice, dash.current.period)}")
    writer.setCreator("CSM Desk")
    writer.setPageLayout(QPageLayout(_page_size(), QPageLayout.Orientation.Landscape, QMarginsF()))
    _paint(dash, choice, writer, PDF_DPI, CHART_DPI, report)
    return bytes(buffer.data().data())


def _png(dash: Dashboard, choice: str, report: Progress) -> bytes:
    page, scale = page_rect(), PNG_DPI / 72
    size = round(page.width() * scale), round(page.height() * scale)
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(round(PNG_DPI / 0.0254))
    image.setDotsPerMeterY(round(PNG_DPI / 0.0254))
    image.fill(QColor("#ffffff"))
    _paint(dash, choice, image, PNG_DPI, PNG_DPI, report)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise OSError(f"could not encode the book review as PNG: {writer.errorString()}")
    return bytes(buffer.data().data())


class _Page:
    """Drawing in points on a device of ``dpi`` dots per inch."""

    def __init__(self, painter: QPainter, device: QPaintDevice, dpi: int) -> None:
        self.painter, self.device, self.s = painter, device, dpi / 72
        self.base = QFont()
        # No ligatures: "fi" stays two letters when the PDF is searched or copied from.
        for tag in ("liga", "clig"):
            self.base.setFeature(QFont.Tag(tag), 0)

    def font(self, size: float, bold: bool = False) -> QFont:
        font = QFont(self.base)
        font.setPointSizeF(size)
        font.setBold(bold)
        return font

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(x * self.s, y * self.s, w * self.s, h * self.s)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        metrics = QFontMetricsF(self.font(size, bold), self.device)
        return metrics.horizontalAdvance(text) / self.s

    def text(
        self, box: Box, text: str, size: float, color: QColor, *, bold: bool = False,
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
    ) -> None:  # fmt: skip
        """One line in ``box``, elided at the end when wider than the box."""
        x, y, w, h = box
        font = self.font(size, bold)
        shown = QFontMetricsF(font, self.device).elidedText(
            text, Qt.TextElideMode.ElideRight, w * self.s
        )
        self.painter.setFont(font)
        self.painter.setPen(color)
        self.painter.drawText(self.rect(x, y, w, h), align | Qt.AlignmentFlag.AlignVCenter, shown)

    def lines(self, text: str, size: float, w: float, most: int) -> list[str]:
        """``text`` wrapped to ``w``, at most ``most`` lines, the last elided if more is left."""
        font = self.font(size)
        layout = QTextLayout(text, font, self.device)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        metrics = QFontMetricsF(font, self.device)
        out: list[str] = []
        layout.beginLayout()
        while len(out) < most:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(w * self.s)
            start = line.textStart()
            if len(out) == most - 1:
                rest = text[start:].strip()
                out.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, w * self.s))
            else:
                out.append(text[start : start + line.textLength()].strip())
        layout.endLayout()
        return out

    def box(self, x: float, y: float, w: float, h: float, fill: QColor) -> None:
        self.painter.setPen(QPen(BORDER, 0.75 * self.s))
        self.painter.setBrush(fill)
        self.painter.drawRoundedRect(self.rect(x, y, w, h), 5 * self.s, 5 * self.s)


def _paint(
    dash: Dashboard, choice: str, device: QPaintDevice, dpi: int, chart_dpi: int, report: Progress
) -> None:
    page = page_rect()
    width = page.width() - 2 * MARGIN
    now = dash.current
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("could not paint the book review")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pg = _Page(painter, device, dpi)
        x, y = MARGIN, MARGIN
        head, title = "Book review", ks.period_title(choice, now.period)
        head_w = pg.width(head, 20, bold=True) + 10
        pg.text((x, y, head_w, 28), head, 20, TEXT, bold=True)
        pg.text((x + head_w, y, width - head_w, 28), title, 20, ACCENT)
        y += 30
        prepared = f"Prepared {ks.day_text(now.today)}"
        prepared_w = pg.width(prepared, 9) + 4
        pg.text((x, y, width - prepared_w - 12, 14), ks.subtitle(dash, choice), 9, MUTED)
        right = Qt.AlignmentFlag.AlignRight
        pg.text((x + width - prepared_w, y, prepared_w, 14), prepared, 9, MUTED, align=right)
        y += 20
        painter.setPen(QPen(RULE, 0.75 * pg.s))
        painter.drawLine(QPointF(x * pg.s, y * pg.s), QPointF((x + width) * pg.s, y * pg.s))
        y += 8
        if now.warnings:
            for line in pg.lines(" ".join(now.warnings), 8, width, 3):
                pg.text((x, y, width, 11), line, 8, WARN)
                y += 11
            y += 6
        _tiles(pg, ks.tiles(dash), x, y, width)
        y += 3 * TILE_H + 2 * GAP + 12
        _charts(pg, dash, (x, y, width, page.height() - MARGIN - y), chart_dpi, report)
    finally:
        painter.end()


def _tiles(pg: _Page, tiles: Sequence[ks.Tile], x: float, y: float, width: float) -> None:
    tile_w = (width - 2 * GAP) / 3
    inner = tile_w - 2 * PAD
    widest = max(pg.width(t.value, 20, bold=True) for t in tiles)
    figure = min(max(widest + 12, 92.0), inner * 0.55)
    size = 20 * min(1.0, (figure - 8) / widest) if widest else 20  # shrunk, never elided
    for i, t in enumerate(tiles):
        tx, ty = x + (i % 3) * (tile_w + GAP), y + (i // 3) * (TILE_H + GAP)
        pg.box(tx, ty, tile_w, TILE_H, BOX)
        tx, ty = tx + PAD, ty + PAD - 1
        pg.text((tx, ty, inner, 13), t.title, 8.5, TEXT, bold=True)
        color = STANDING.get(t.standing or "", TEXT)
        pg.text((tx, ty + 14, figure, 26), t.value, size, color, bold=True)
        pg.text((tx + figure, ty + 15, inner - figure, 12), t.benchmark, 7.5, MUTED)
        change = CHANGE.get(t.change_sign, MUTED)
        pg.text((tx + figure, ty + 27, inner - figure, 12), t.change, 7.5, change)
        pg.text((tx, ty + 42, inner, 12), t.detail, 7.5, MUTED)


def _charts(pg: _Page, dash: Dashboard, area: Box, dpi: int, report: Progress) -> None:
    x, y, width, height = area
    now, cur, colors = dash.current, dash.current.currency, charts.PRINT
    steps, months, bands = ks.bridge(now), ks.risk_months(now), ks.health_bars(now)
    widths = [(width - 2 * GAP) * share for share in CHART_WEIGHTS]
    # "Contraction" in the ticks' 7.5 pt, against a column of the plot (render_png's margins)
    narrow = (widths[0] - 8 - 52) / len(steps) < 11 * 0.62 * 7.5 + 4

    def bridge(ax: Axes) -> list[charts.Bar]:
        bars = charts.draw_bridge(ax, steps, cur, colors)
        if bars and narrow:
            ax.set_xticks(range(len(steps)), [SHORT_BRIDGE.get(s.label, s.label) for s in steps])
        return bars

    draws: list[tuple[Draw, str, list[tuple[str, str]]]] = [
        (bridge, charts.BRIDGE_EMPTY, []),
        (lambda ax: charts.draw_risk(ax, months, cur, colors), charts.RISK_EMPTY,
         charts.risk_legend(colors)),
        (lambda ax: charts.draw_health(ax, bands, cur, colors), charts.HEALTH_EMPTY, []),
    ]  # fmt: skip
    for i, ((draw, empty, legend), title) in enumerate(zip(draws, CHART_TITLES, strict=True)):
        w = widths[i]
        pg.box(x, y, w, height, QColor(colors.figure))
        ix, iy, iw, ih = x + 4, y + 4, w - 8, height - 8
        image, drawn = _render(draw, iw, ih, dpi, legend)
        pg.painter.drawImage(pg.rect(ix, iy, iw, ih), image)
        pg.text((ix + 4, iy + 2, iw - 8, 14), title, 9.5, TEXT, bold=True)
        if not drawn:
            center = Qt.AlignmentFlag.AlignHCenter
            for n, line in enumerate(lines := pg.lines(empty, 9, iw - 24, 2)):
                top = iy + ih / 2 + (n - len(lines) / 2) * 13
                pg.text((ix + 12, top, iw - 24, 13), line, 9, MUTED, align=center)
        x += w + GAP
        if not report(i + 1, STEPS):
            raise ExportCancelled


def _render(
    draw: Draw, w: float, h: float, dpi: int, legend: list[tuple[str, str]]
) -> tuple[QImage, bool]:
    """The chart, ``w`` by ``h`` points, untitled (the page writes the title as text), and
    whether it had anything to draw."""
    drawn = False

    def run(ax: Axes) -> list[charts.Bar]:
        nonlocal drawn
        bars = draw(ax)
        drawn = bool(bars)
        return bars

    png = charts.render_png(
        run, "", "", width_in=w / 72, height_in=h / 72, dpi=dpi, colors=charts.PRINT, legend=legend
    )
    return QImage.fromData(png), drawn
