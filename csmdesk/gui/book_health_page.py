"""The Book health page: how many accounts and how much ARR sit in each band, and what renews.

Figures come from :func:`csmdesk.services.book_health.book_health`. The charts (Matplotlib)
are built the first time the page is shown, so building the main window never loads it.
Clicking a band's bar, or a band in the headline (keyboard too), emits ``band_chosen``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.money import SYMBOL_FOR, minor_factor
from csmdesk.domain.rhythm import REVIEW_LABELS
from csmdesk.gui.book_model import BAND_LABELS
from csmdesk.gui.charts.data import BAND_LABELS as CHART_BAND_LABELS
from csmdesk.gui.charts.data import compact_money
from csmdesk.gui.charts.style import ChartStyle
from csmdesk.gui.widgets import side_by_side
from csmdesk.services.book_health import (
    BANDS,
    UNSCORED,
    BookHealth,
    RhythmMeasures,
    book_health,
    rhythm_measures,
)
from csmdesk.store import Database

if TYPE_CHECKING:
    from matplotlib.backend_bases import Event

    from csmdesk.gui.charts.book import BandsChart, RenewalsChart

log = logging.getLogger(__name__)

UNSCORED_LABEL = CHART_BAND_LABELS[UNSCORED]
SIDE_BY_SIDE_AT = 820  # px: narrower than this, the charts stack
_LABEL_TO_BAND = {label: band for band, label in CHART_BAND_LABELS.items()}
EMPTY_TEXT = (
    "No accounts in the book yet.\n\nAdd an account, import a CSV or open the demo book: "
    "this page then shows how many accounts and how much ARR sit in each health band, "
    "and what renews in the next 12 months."
)


def band_label(band: str) -> str:
    return BAND_LABELS.get(band, UNSCORED_LABEL if band == UNSCORED else band)


def _symbol(currency: str) -> str:
    return SYMBOL_FOR.get(currency, currency)


def _money(data: BookHealth, minor: int) -> str:
    """Compact, and worded as the charts word it (``$1.25M``, ``$850k``)."""
    return compact_money(minor / minor_factor(data.currency), _symbol(data.currency))


def _shown_bands(data: BookHealth) -> list[str]:
    return [*BANDS, *([UNSCORED] if data.counts[UNSCORED] else [])]


def headline_text(data: BookHealth) -> str:
    """``42 accounts · 30 Healthy · 8 Watch · 4 At risk · ARR at risk $1.2M`` (plain text)."""
    noun = "account" if data.total_accounts == 1 else "accounts"
    parts = [f"{data.total_accounts:,} {noun}"]
    parts += [f"{data.counts[b]:,} {band_label(b)}" for b in _shown_bands(data)]
    parts.append(f"ARR at risk {_money(data, data.arr_minor['at_risk'])}")
    return " · ".join(parts)


def headline_html(data: BookHealth, style: ChartStyle) -> str:
    """The headline with a band-coloured dot before each band, each band a link."""
    noun = "account" if data.total_accounts == 1 else "accounts"
    parts = [f"<b>{data.total_accounts:,} {noun}</b>"]
    for band in _shown_bands(data):
        parts.append(
            f"<span style='color:{style.band(band)}'>&#9679;</span>&nbsp;"
            f"<a href='band:{band}' style='color:{style.text}'>"
            f"{data.counts[band]:,}&nbsp;{band_label(band)}</a>"
        )
    parts.append(f"ARR at risk <b>{_money(data, data.arr_minor['at_risk'])}</b>")
    return " &nbsp;·&nbsp; ".join(parts)


def summary_text(data: BookHealth) -> str:
    """The money line: ARR in the book and what renews in the next 12 months."""
    end = data.window_end
    text = f"{_money(data, data.total_arr_minor)} ARR in the book"
    if data.renewal_total_minor <= 0:
        return f"{text} · nothing renews by {end:%b %Y}."
    text += f" · {_money(data, data.renewal_total_minor)} renews by {end:%b %Y}"
    at_risk, watch = sum(data.renewals_minor["at_risk"]), sum(data.renewals_minor["watch"])
    if at_risk and watch:
        text += f", {_money(data, at_risk)} of it at risk and {_money(data, watch)} on watch"
    elif at_risk or watch:
        text += f", {_money(data, at_risk or watch)} of it {'at risk' if at_risk else 'on watch'}"
    return text + "."


def currency_note(data: BookHealth) -> str:
    """Why some ARR is missing from the figures; empty when nothing is left out."""
    n = data.other_currency_accounts
    if not n:
        return ""
    *rest, last = data.other_currencies
    codes = f"{', '.join(rest)} and {last}" if rest else last
    who = "1 account billed" if n == 1 else f"{n:,} accounts billed"
    return (
        f"ARR figures are in {data.currency} only: {who} in {codes} "
        f"{'is' if n == 1 else 'are'} counted by band but left out of the ARR, "
        "since amounts are not converted between currencies."
    )


@dataclass(frozen=True)
class Measure:
    """One tile of the rhythm line: a title, the figure, the count behind it, a definition."""

    key: str
    title: str
    figure: str  # "78%", "24 days" or "—" when there is nothing to measure
    detail: str  # "7 of 9 within 30 days", or why there is no figure
    definition: str
    meets: bool | None = None  # against a benchmark, when the measure has one


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"  # no %-d: Windows' strftime lacks it


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def rhythm_tiles(m: RhythmMeasures) -> list[Measure]:
    """The three measures of the last 12 months, worded for the page; never "0%" for no data."""
    period = f"the last {m.months} months ({_day(m.start)} to {_day(m.today)})"
    on_time = m.onboarding.on_time
    window = on_time.within_window
    benchmark = _percent(on_time.benchmark)
    pending = len(window.pending)
    waiting = f" · {pending:,} still in progress" if pending else ""
    title = f"On-time onboarding · benchmark {benchmark}+"
    if not m.onboardings:
        onboarding = Measure("on_time", title, "—", "No onboardings in the period", "")
    elif window.value is None:
        onboarding = Measure(
            "on_time",
            title,
            "—",
            f"None of {_plural(m.onboardings, 'onboarding')} has finished its first "
            f"{on_time.within_days} days yet",
            "",
        )
    else:
        onboarding = Measure(
            "on_time",
            title,
            _percent(window.value),
            f"{len(window.on_time):,} of {window.measured:,} within {on_time.within_days} days"
            f"{waiting}",
            "",
            window.value >= on_time.benchmark,
        )
    onboarding = _with_definition(
        onboarding,
        f"Of the onboarding plans started in {period}, one per account (its latest), the share "
        f"that completed every milestone due in the first {on_time.within_days} days by day "
        f"{on_time.within_days}. Skipped milestones do not count; plans still inside their "
        f"first {on_time.within_days} days are left out until they finish. Benchmark: "
        f"{benchmark} or more.",
    )
    first = m.onboarding.first_value
    not_yet = len(first.waiting)
    if first.median_days is None:
        value = Measure(
            "first_value",
            "Time to first value",
            "—",
            "No onboardings in the period"
            if not m.onboardings
            else f"No first value reached yet ({not_yet:,} waiting)"
            if not_yet
            else "No first-value milestone in these plans",
            "",
        )
    else:
        days = first.median_days
        shown = f"{days:g}" if float(days).is_integer() else f"{days:.1f}"
        value = Measure(
            "first_value",
            "Time to first value",
            f"{shown} days",
            f"median of {_plural(len(first.reached), 'account')}"
            + (f" · {not_yet:,} not reached yet" if not_yet else ""),
            "",
        )
    value = _with_definition(
        value,
        f"The median number of days from the plan start to the completion of its first-value "
        f"milestone, over the onboarding plans started in {period} that have reached it.",
    )
    reviews = m.reviews
    kinds = "/".join(f"{label}s" for label in REVIEW_LABELS.values())
    if reviews.share is None:
        review = Measure(
            "reviews", f"{kinds} on schedule", "—", "No reviews fell due in the period", ""
        )
    else:
        review = Measure(
            "reviews",
            f"{kinds} on schedule",
            _percent(reviews.share),
            f"{reviews.held:,} of {reviews.due:,} held by their due date",
            "",
        )
    review = _with_definition(
        review,
        f"Of the business reviews (QBR or EBR) that fell due in {period}, the share held by "
        f"their due date. One is due every {_plural(m.review_months, 'month')} from the "
        "contract start, then from the last review held; a review due today counts once it "
        "is held. Archived accounts are left out.",
    )
    return [onboarding, value, review]


def _with_definition(measure: Measure, definition: str) -> Measure:
    return replace(measure, definition=definition)


def rhythm_heading(m: RhythmMeasures) -> str:
    return f"Rhythm over the last {m.months} months, {_day(m.start)} to {_day(m.today)}"


class MeasureTile(QFrame):
    """A small framed tile: the title, the figure large, the count behind it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("measureTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # so its definition reaches a reader
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(0)
        self.title = QLabel()
        self.title.setObjectName("measureTitle")
        self.figure = QLabel()
        self.figure.setObjectName("measureFigure")
        font = QFont(self.figure.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.figure.setFont(font)
        self.detail = QLabel()
        self.detail.setObjectName("measureDetail")
        self.detail.setWordWrap(True)
        for label in (self.title, self.figure, self.detail):
            layout.addWidget(label)
        self.measure: Measure | None = None

    def show_measure(self, measure: Measure, style: ChartStyle) -> None:
        self.measure = measure
        self.title.setText(measure.title)
        self.figure.setText(measure.figure)
        self.detail.setText(measure.detail)
        colour = (
            ""
            if measure.meets is None
            else f"color: {style.band('healthy' if measure.meets else 'watch')};"
        )
        self.figure.setStyleSheet(colour)
        self.setToolTip(measure.definition)
        self.setAccessibleName(f"{measure.title}: {measure.figure}")
        self.setAccessibleDescription(f"{measure.detail}. {measure.definition}")


class BookHealthPage(QWidget):
    """Book-level health: a headline, accounts and ARR by band, renewals by month."""

    band_chosen = Signal(str)

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.data: BookHealth | None = None
        self.measures: RhythmMeasures | None = None
        self.bands_chart: BandsChart | None = None
        self.renewals_chart: RenewalsChart | None = None
        self._data_stale = True
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.content = QWidget()
        scroll.setWidget(self.content)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(self.content)
        layout.setSpacing(6)
        self.title = QLabel("Book health")
        self.title.setObjectName("accountTitle")
        self.headline = QLabel()
        self.headline.setObjectName("bookHealthHeadline")
        self.headline.setAccessibleName("Book health summary")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.headline.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.headline.setToolTip("Click a band to list its accounts in the book")
        self.headline.linkActivated.connect(self._on_link)
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.headline.setFont(font)
        self.summary = QLabel()
        self.summary.setObjectName("bookHealthSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setObjectName("bookHealthNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.note.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.headline)
        layout.addWidget(self.summary)
        layout.addWidget(self.note)
        self.rhythm_heading = QLabel()
        self.rhythm_heading.setObjectName("bookHealthRhythmHeading")
        heading_font = QFont(self.rhythm_heading.font())
        heading_font.setBold(True)
        self.rhythm_heading.setFont(heading_font)
        layout.addSpacing(4)
        layout.addWidget(self.rhythm_heading)
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        self.tiles: dict[str, MeasureTile] = {}
        for key in ("on_time", "first_value", "reviews"):
            tile = MeasureTile(self.content)
            tiles.addWidget(tile, 1)
            self.tiles[key] = tile
        layout.addLayout(tiles)
        self.chart_box = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.chart_box.setSpacing(8)
        layout.addLayout(self.chart_box, 1)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

    # --- data -----------------------------------------------------------------------------

    def set_today(self, today: date) -> None:
        self.today = today
        self.refresh()

    def refresh(self) -> None:
        """Reload the figures; deferred until the page is visible, so a hidden page costs
        nothing however often the book changes."""
        if not self.isVisible():
            self._data_stale = True
            return
        self._data_stale = False
        self.data = book_health(self.db, self.today)
        self.measures = None if self.data.is_empty else rhythm_measures(self.db, self.today)
        self._show(self.data)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._data_stale:
            self.refresh()

    def _show(self, data: BookHealth) -> None:
        if data.is_empty:
            self.stack.setCurrentWidget(self.empty_label)
            return
        self.stack.setCurrentIndex(0)
        self._update_headline()
        self.summary.setText(summary_text(data))
        note = currency_note(data)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._plot(data)

    def _update_headline(self) -> None:
        if self.data is not None and not self.data.is_empty:
            style = ChartStyle.from_palette(self.palette())
            self.headline.setText(headline_html(self.data, style))
            if self.measures is not None:
                self.rhythm_heading.setText(rhythm_heading(self.measures))
                for measure in rhythm_tiles(self.measures):
                    self.tiles[measure.key].show_measure(measure, style)

    # --- charts ---------------------------------------------------------------------------

    def _ensure_charts(self) -> tuple[BandsChart, RenewalsChart]:
        if self.bands_chart is None or self.renewals_chart is None:
            from csmdesk.gui import charts

            self.bands_chart = charts.BandsChart(self.content)
            self.renewals_chart = charts.RenewalsChart(self.content)
            self.bands_chart.setAccessibleName("Accounts and ARR by health band")
            self.renewals_chart.setAccessibleName("Renewal ARR by month, next 12 months")
            # The renewals chart gets the larger share: twelve columns need it for their totals.
            for chart, stretch in ((self.bands_chart, 2), (self.renewals_chart, 3)):
                chart.setMinimumHeight(240)
                self.chart_box.addWidget(chart, stretch)
            self.bands_chart.mpl_connect("button_press_event", self._on_chart_press)
            self.bands_chart.mpl_connect("motion_notify_event", self._on_chart_motion)
            self._arrange(self.width())
        return self.bands_chart, self.renewals_chart

    def _plot(self, data: BookHealth) -> None:
        bands_chart, renewals_chart = self._ensure_charts()
        factor = minor_factor(data.currency)
        symbol = _symbol(data.currency)
        shown = _shown_bands(data)
        bands_chart.plot(
            {b: data.counts[b] for b in shown},
            {b: data.arr_minor[b] / factor for b in shown},
            currency=symbol,
        )
        renewals = [*BANDS, *([UNSCORED] if any(data.renewals_minor[UNSCORED]) else [])]
        renewals_chart.plot(
            data.months,
            {b: [v / factor for v in data.renewals_minor[b]] for b in renewals},
            currency=symbol,
        )

    def band_at(self, x: float, y: float) -> str | None:
        """The band whose row of the bands chart holds display pixel (x, y), if any."""
        chart = self.bands_chart
        if chart is None or chart.is_empty or not chart.figure.axes:
            return None
        axes = chart.figure.axes
        keys = [_LABEL_TO_BAND.get(t.get_text()) for t in axes[0].get_yticklabels()]
        for ax in axes:
            if not ax.bbox.contains(x, y):
                continue
            row = round(float(ax.transData.inverted().transform((x, y))[1]))
            if 0 <= row < len(keys):
                return keys[row]
        return None

    def _on_chart_press(self, event: Event) -> None:
        mouse: Any = event
        if getattr(mouse, "button", None) != 1 or getattr(mouse, "dblclick", False):
            return  # left button only; a double click's second press is not a second choice
        if mouse.x is None or mouse.y is None:
            return
        band = self.band_at(mouse.x, mouse.y)
        if band is not None:
            log.debug("band %s chosen from the bands chart", band)
            self.band_chosen.emit(band)

    def _on_chart_motion(self, event: Event) -> None:
        mouse: Any = event
        chart = self.bands_chart
        if chart is None or mouse.x is None or mouse.y is None:
            return
        if self.band_at(mouse.x, mouse.y) is not None:
            chart.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            chart.unsetCursor()

    def _on_link(self, link: str) -> None:
        kind, _, band = link.partition(":")
        if kind == "band" and band:
            self.band_chosen.emit(band)

    # --- layout and theme -----------------------------------------------------------------

    def _arrange(self, width: int) -> None:
        side_by_side(self.chart_box, width, SIDE_BY_SIDE_AT)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._update_headline()
