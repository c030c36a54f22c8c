"""The QBR/EBR as a PDF: a title page, the agenda, then one page (or more) per section, the
usage chart as an image on the usage page, and a footer with the page number.

Written with Qt's own PDF writer (QPdfWriter) from a QTextDocument built with a cursor, so the
CSM's text goes in exactly as typed (no HTML to escape) and Qt lays it out: long lines wrap
(anywhere, when a word is wider than the page), long sections run on to the next page, and a
line whose first strong character is Hebrew or Arabic is set right to left. Only QtGui is
used, so this runs on a worker thread. The file appears only when complete (written aside,
then renamed), so a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
    QTextOption,
)

from csmdesk.domain.reviews import SECTION_LABELS, SECTIONS, ReviewContent
from csmdesk.reports import ExportCancelled
from csmdesk.reports.qbr_chart import render_usage_png
from csmdesk.reports.text_layout import indent_of, is_rtl

log = logging.getLogger(__name__)

Progress = Callable[[int, int], bool]
RESOLUTION = 300  # dots per inch of the page coordinates
ACCENT = QColor("#2f6fde")
MUTED = QColor("#5b616b")
TEXT = QColor("#1f2328")
CHART_URL = QUrl("qbr://usage.png")
KIND_NAMES = {"qbr": "Quarterly Business Review", "ebr": "Executive Business Review"}


def _page_size() -> QPageSize:
    """Letter where people measure in inches, A4 elsewhere."""
    if QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem:
        return QPageSize(QPageSize.PageSizeId.Letter)
    return QPageSize(QPageSize.PageSizeId.A4)


class _Builder:
    def __init__(self, doc: QTextDocument) -> None:
        self.doc = doc
        self.cursor = QTextCursor(doc)
        self.first = True
        base = QFont(doc.defaultFont())
        base.setPointSizeF(11)
        # No ligatures: "ffi" stays three letters when the PDF is searched or copied from.
        for tag in ("liga", "clig"):
            base.setFeature(QFont.Tag(tag), 0)
        doc.setDefaultFont(base)
        self.base = base

    def char(
        self, size: float = 11, *, bold: bool = False, color: QColor = TEXT
    ) -> QTextCharFormat:
        fmt = QTextCharFormat()
        font = QFont(self.base)
        font.setPointSizeF(size)
        font.setBold(bold)
        fmt.setFont(font)
        fmt.setForeground(QBrush(color))
        return fmt

    def block(
        self,
        text: str,
        fmt: QTextCharFormat,
        *,
        page_break: bool = False,
        top: float = 0,
        bottom: float = 0,
        indent_chars: int = 0,
    ) -> None:
        block = QTextBlockFormat()
        if page_break:
            block.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        block.setTopMargin(top)
        block.setBottomMargin(bottom)
        rtl = is_rtl(text)
        block.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        # Leading alignment: Qt mirrors it, so a right-to-left line starts on the right.
        block.setAlignment(Qt.AlignmentFlag.AlignLeading)
        if indent_chars:
            # A hanging indent, so a wrapped bullet lines up under its first word.
            side = indent_chars * fmt.font().pointSizeF() * RESOLUTION / 72 * 0.55
            if rtl:  # the indent is on the leading side, the margin is not mirrored
                block.setRightMargin(side)
            else:
                block.setLeftMargin(side)
            block.setTextIndent(-side)
        if self.first:
            self.cursor.setBlockFormat(block)
            self.cursor.setBlockCharFormat(fmt)
            self.first = False
        else:
            self.cursor.insertBlock(block, fmt)
        self.cursor.insertText(text, fmt)

    def heading(self, text: str, *, page_break: bool = True) -> None:
        self.block(text, self.char(20, bold=True, color=ACCENT), page_break=page_break, bottom=40)

    def body(self, text: str) -> None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        fmt = self.char(11)
        for line in lines or [""]:
            self.block(line, fmt, bottom=12, indent_chars=indent_of(line))

    def image(self, width: float, height: float) -> None:
        self.block("", self.char(11), top=10, bottom=30)
        image = QTextImageFormat()
        image.setName(CHART_URL.toString())
        image.setWidth(width)
        image.setHeight(height)
        self.cursor.insertImage(image)


def image_scale(device: QPdfWriter) -> float:
    """How much Qt enlarges an image of a given size on ``device``: it takes image sizes in
    screen pixels and scales them by the device's dpi over the screen's, which depends on the
    screen. Measured rather than assumed."""
    probe = QTextDocument()
    probe.documentLayout().setPaintDevice(device)
    probe.addResource(
        QTextDocument.ResourceType.ImageResource,
        QUrl("probe:image"),
        QImage(8, 8, QImage.Format.Format_RGB32),
    )
    fmt = QTextImageFormat()
    fmt.setName("probe:image")
    fmt.setWidth(100)
    fmt.setHeight(100)
    QTextCursor(probe).insertImage(fmt)
    probe.setTextWidth(100_000)
    layout = probe.firstBlock().layout()
    measured = layout.lineAt(0).naturalTextWidth() if layout and layout.lineCount() else 100
    return measured / 100 or 1.0


def build_document(
    content: ReviewContent, width: float, chart_png: bytes | None, scale: float = 1.0
) -> QTextDocument:
    """The whole review as one document laid out ``width`` page units wide (``scale``: see
    :func:`image_scale`)."""
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    doc.setDefaultTextOption(option)
    b = _Builder(doc)
    # Title page
    b.block(KIND_NAMES.get(content.kind, content.kind_label), b.char(14, color=MUTED), top=700)
    b.block(content.account_name, b.char(32, bold=True), top=30, bottom=30)
    b.block(content.title, b.char(16, color=ACCENT), bottom=20)
    b.block(content.subtitle, b.char(12, color=MUTED))
    if content.owner:
        b.block(f"Prepared by {content.owner}", b.char(12, color=MUTED), top=10)
    # Agenda
    b.heading("Agenda")
    agenda = [SECTION_LABELS[key] for key in SECTIONS]
    for number, label in enumerate(agenda, 1):
        b.block(f"{number}.  {label}", b.char(13), bottom=24)
    for key in SECTIONS:
        b.heading(SECTION_LABELS[key])
        if key == "usage":
            if chart_png is not None:
                image = QImage.fromData(chart_png)
                doc.addResource(QTextDocument.ResourceType.ImageResource, CHART_URL, image)
                b.image(width / scale, width / scale * image.height() / max(image.width(), 1))
            else:
                b.block("No usage readings to chart.", b.char(10, color=MUTED), bottom=20)
        b.body(content.section(key))
    return doc


def write_pdf(
    content: ReviewContent, path: Path | str, *, progress: Progress | None = None
) -> Path:
    """Write the review to ``path``; returns the path. ``progress(done, total)`` returning
    False cancels (:class:`ExportCancelled`, nothing left on disk)."""
    target = Path(path)
    part = target.with_name(target.name + ".part")
    report = progress or (lambda done, total: True)
    if not report(0, 1):
        raise ExportCancelled
    try:
        pages = _paint(content, part, report)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    log.info("QBR PDF written: %d pages", pages)
    return target


def _draw_page(painter: QPainter, doc: QTextDocument, top: float, height: float) -> None:
    """Draw the lines that start on this page, and only those.

    ``QTextDocument.drawContents`` with a clip also draws the next page's first line, hidden
    by the clip: invisible, but a PDF viewer would find, copy and read it twice.
    """
    painter.setPen(TEXT)
    block = doc.begin()
    while block.isValid():
        layout = block.layout()
        origin = layout.position()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            y = origin.y() + line.y()
            if top <= y < top + height:
                line.draw(painter, QPointF(origin.x(), origin.y() - top))
            elif y >= top + height:
                break
        block = block.next()


def _paint(content: ReviewContent, part: Path, report: Progress) -> int:
    writer = QPdfWriter(str(part))
    writer.setResolution(RESOLUTION)
    writer.setTitle(content.title)
    writer.setCreator("CSM Desk")
    writer.setPageLayout(
        QPageLayout(
            _page_size(),
            QPageLayout.Orientation.Portrait,
            QMarginsF(20, 20, 20, 16),
            QPageLayout.Unit.Millimeter,
        )
    )
    width, height = float(writer.width()), float(writer.height())
    footer = RESOLUTION * 0.35
    # The chart as wide as the text, so its lettering prints at its true size.
    chart_width = width / RESOLUTION
    chart = render_usage_png(
        content.usage, width_in=chart_width, height_in=chart_width * 0.46, dpi=250
    )
    doc = build_document(content, width, chart, image_scale(writer))
    doc.documentLayout().setPaintDevice(writer)
    doc.setPageSize(QSizeF(width, height - footer))
    page_height = height - footer
    count = doc.pageCount()
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {part.name}")
    try:
        font = QFont(doc.defaultFont())
        font.setPointSizeF(8)
        for page in range(count):
            if not report(page, count):
                raise ExportCancelled
            if page:
                writer.newPage()
            _draw_page(painter, doc, page * page_height, page_height)
            if page:  # no footer on the title page
                painter.setFont(font)
                painter.setPen(MUTED)
                band = QRectF(0, height - footer * 0.6, width, footer * 0.6)
                line = f"{content.account_name} · {content.kind_label} {content.period}"
                painter.drawText(band, Qt.AlignmentFlag.AlignLeft, line)
                painter.drawText(band, Qt.AlignmentFlag.AlignRight, f"{page + 1} / {count}")
    finally:
        painter.end()
    report(count, count)
    return count
