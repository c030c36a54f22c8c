"""Chart widgets: drawn offscreen from plain data, themed, hoverable, saved as PNG."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

import csmdesk.gui.charts as charts  # chart classes load Matplotlib on first use, not here
from csmdesk.gui.charts.data import ComponentBar, ScoreOverride, compact_money, full_money
from csmdesk.gui.charts.panel import ChartPanel
from csmdesk.gui.theme import apply_theme
from tests.conftest import TODAY

if TYPE_CHECKING:
    from csmdesk.gui.charts.base import ChartCanvas

WEEKS = [TODAY - timedelta(weeks=52 - i) for i in range(53)]
GAPS = (17, 18, 30)


def _scores() -> list[float | None]:
    values: list[float | None] = []
    for i in range(53):
        v = 80 - 0.45 * i + 5 * math.sin(i / 4) - max(0, i - 40) * 1.6
        values.append(None if i in GAPS else round(v))
    return values


OVERRIDE = ScoreOverride(WEEKS[44] + timedelta(days=2), "at_risk", "Champion left in October")
COMPONENTS = [
    ComponentBar("Adoption", 62, 0.375, "37 of 60 seats active (62%)"),
    ComponentBar("Engagement", 48, 0.25, "Logins down 18%"),
    ComponentBar("Support", 85, 0.1875, "4 open tickets (baseline 4)"),
    ComponentBar("Sentiment", None, 0.0, "No NPS or CSAT in the last 180 days"),
    ComponentBar("Relationship", 60, 0.1875, "Champion: Dana Lee"),
]
ACTIVE = [None if i in (17, 18) else 44 + i // 4 for i in range(53)]
SEATS = [60 if i < 26 else 80 for i in range(53)]
TICKETS = [3 + (i % 3) + (6 if 45 <= i <= 48 else 0) for i in range(53)]
ESCALATIONS = [2 if i in (46, 47) else (1 if i in (20, 48) else 0) for i in range(53)]
NPS = [(WEEKS[5], 9), (WEEKS[18], 8), (WEEKS[31], 6), (WEEKS[47], 3)]
COUNTS = {"healthy": 24, "watch": 11, "at_risk": 5}
ARR = {"healthy": 2_350_000.0, "watch": 1_120_000.0, "at_risk": 480_000.0}
MONTHS = [date(2026 + (11 + k) // 12, (11 + k) % 12 + 1, 1) for k in range(12)]
RENEWALS = {
    "healthy": [120e3, 0, 340e3, 80e3, 0, 210e3, 95e3, 0, 400e3, 60e3, 150e3, 0],
    "watch": [0, 90e3, 0, 150e3, 45e3, 0, 0, 220e3, 0, 0, 70e3, 30e3],
    "at_risk": [60e3, 0, 0, 0, 120e3, 0, 35e3, 0, 0, 0, 0, 80e3],
}

Plot = Callable[["ChartCanvas"], None]
FILLED: dict[str, Plot] = {
    "HealthScoreChart": lambda c: c.plot(WEEKS, _scores(), overrides=[OVERRIDE], today=TODAY),  # type: ignore[attr-defined]
    "ComponentChart": lambda c: c.plot(COMPONENTS),  # type: ignore[attr-defined]
    "AdoptionChart": lambda c: c.plot(WEEKS, ACTIVE, SEATS),  # type: ignore[attr-defined]
    "TicketsNpsChart": lambda c: c.plot(WEEKS, TICKETS, ESCALATIONS, NPS),  # type: ignore[attr-defined]
    "BandsChart": lambda c: c.plot(COUNTS, ARR, currency="€"),  # type: ignore[attr-defined]
    "RenewalsChart": lambda c: c.plot(MONTHS, RENEWALS),  # type: ignore[attr-defined]
}
EMPTY: dict[str, Plot] = {
    "HealthScoreChart": lambda c: c.plot(WEEKS[:3], [None, None, None]),  # type: ignore[attr-defined]
    "ComponentChart": lambda c: c.plot([ComponentBar("Adoption", None, 0.0)]),  # type: ignore[attr-defined]
    "AdoptionChart": lambda c: c.plot([], []),  # type: ignore[attr-defined]
    "TicketsNpsChart": lambda c: c.plot([], [], [], []),  # type: ignore[attr-defined]
    "BandsChart": lambda c: c.plot({}, {}),  # type: ignore[attr-defined]
    "RenewalsChart": lambda c: c.plot(MONTHS, {"healthy": [0.0] * 12}),  # type: ignore[attr-defined]
}


@pytest.fixture
def host(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def _make(host: QWidget, kind: str, plot: Plot | None = None) -> ChartCanvas:
    chart: ChartCanvas = getattr(charts, kind)(host)
    chart.resize(560, 300)
    (plot or FILLED[kind])(chart)
    return chart


def _distinct_colours(image: QImage) -> int:
    step = 7
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def _display_to_widget(chart: ChartCanvas, x: float, y: float) -> QPoint:
    ratio = chart.device_pixel_ratio
    return QPoint(round(x / ratio), round(chart.height() - y / ratio))


def test_importing_the_package_does_not_load_matplotlib() -> None:
    code = (
        "import sys\n"
        "import csmdesk.gui.charts, csmdesk.gui.charts.data, csmdesk.gui.charts.panel\n"
        "import csmdesk.gui.charts.style\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'\n"
        "from csmdesk.gui.charts import HealthScoreChart\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("kind", list(FILLED), ids=str)
def test_chart_renders_data_offscreen(host: QWidget, kind: str) -> None:
    chart = _make(host, kind)
    assert not chart.is_empty
    assert chart.figure.axes
    image = chart.grab().toImage()
    assert image.width() >= 560 and _distinct_colours(image) > 8


@pytest.mark.parametrize("kind", list(EMPTY), ids=str)
def test_chart_without_data_explains_itself(host: QWidget, kind: str) -> None:
    chart = _make(host, kind, EMPTY[kind])
    assert chart.is_empty and chart.figure.axes == []
    assert chart.empty_text in [t.get_text() for t in chart.figure.texts]
    assert _distinct_colours(chart.grab().toImage()) > 1
    assert chart.hover_text_at(280, 150) is None


def test_empty_text_can_be_set_per_chart(host: QWidget) -> None:
    chart = charts.HealthScoreChart(host, empty_text="Pick an account")
    assert "Pick an account" in [t.get_text() for t in chart.figure.texts]


def test_score_chart_draws_bands_line_today_and_overrides(host: QWidget) -> None:
    chart = _make(host, "HealthScoreChart")
    (ax,) = chart.figure.axes
    assert len(ax.patches) == 3
    score_line, today_dot = ax.lines
    assert sum(math.isnan(v) for v in score_line.get_ydata()) == len(GAPS)
    assert list(today_dot.get_xdata()) == [TODAY.toordinal()]
    assert [len(c.get_offsets()) for c in ax.collections] == [1]
    last = _scores()[-1]
    assert f"{last:.0f}" in [t.get_text() for t in ax.texts]
    assert any(t.get_text().startswith("Today: ") for t in chart.figure.texts)
    assert ax.get_ylim() == (0, 100)


def test_score_chart_rejects_bad_thresholds(host: QWidget) -> None:
    with pytest.raises(ValueError):
        charts.HealthScoreChart(host).plot(WEEKS, _scores(), healthy_at=40, watch_at=70)


def test_component_chart_shows_missing_data_distinctly(host: QWidget) -> None:
    chart = _make(host, "ComponentChart")
    (ax,) = chart.figure.axes
    assert len(ax.patches) == len(COMPONENTS)
    missing = ax.patches[3]
    assert not missing.get_fill() and missing.get_hatch()
    assert all(p.get_fill() for i, p in enumerate(ax.patches) if i != 3)
    assert [p.get_width() for p in ax.patches[:3]] == [62, 48, 85]
    texts = [t.get_text() for t in ax.texts]
    assert "no data" in texts and "62 · 38% of score" in texts


def test_adoption_chart_draws_users_seats_and_benchmark(host: QWidget) -> None:
    chart = _make(host, "AdoptionChart")
    (ax,) = chart.figure.axes
    seats, _users = ax.lines
    assert seats.get_drawstyle() == "steps-post"
    assert len(ax.collections) == 1
    lower, upper = ax.collections[0].get_paths()[0].vertices[:, 1].min(), 0.8 * 80
    assert lower == pytest.approx(0.7 * 60) and ax.get_ylim()[1] > upper
    chart.plot(WEEKS, ACTIVE, None)
    assert len(chart.figure.axes[0].lines) == 1 and not chart.figure.axes[0].collections


def test_tickets_chart_bars_escalations_and_nps_points(host: QWidget) -> None:
    chart = _make(host, "TicketsNpsChart")
    ax, nps_ax = chart.figure.axes
    tickets, escalations = ax.collections
    assert len(tickets.get_paths()) == len(TICKETS)
    assert len(escalations.get_paths()) == sum(1 for e in ESCALATIONS if e)
    tallest = max(p.vertices[:, 1].max() for p in escalations.get_paths())
    assert tallest == max(ESCALATIONS)
    assert len(nps_ax.patches) == 2
    (dots,) = nps_ax.collections
    assert sorted(dots.get_offsets()[:, 1]) == [3, 6, 8, 9]
    assert nps_ax.get_ylim() == (-0.5, 10.5)


def test_bands_chart_has_two_groups_of_three(host: QWidget) -> None:
    chart = _make(host, "BandsChart")
    counts_ax, arr_ax = chart.figure.axes
    assert [p.get_width() for p in counts_ax.patches] == [24, 11, 5]
    assert len(arr_ax.patches) == 3
    assert "€2.35M" in [t.get_text() for t in arr_ax.texts]


def test_renewals_chart_stacks_bands_per_month(host: QWidget) -> None:
    chart = _make(host, "RenewalsChart")
    (ax,) = chart.figure.axes
    assert len(ax.patches) == 12 * 3
    totals = [t.get_text() for t in ax.texts]
    assert totals[0] == "$180k" and len(totals) == 12
    with pytest.raises(ValueError):
        chart.plot(MONTHS, {"healthy": [1.0]})


def _lightness(rgba: tuple[float, ...]) -> float:
    return QColor.fromRgbF(*rgba[:3]).lightnessF()


def test_charts_follow_the_theme_switch(qtbot, host: QWidget, qapp) -> None:  # type: ignore[no-untyped-def]
    made = [_make(host, kind) for kind in FILLED]
    light_faces = [c.figure.get_facecolor() for c in made]
    palette, sheet = qapp.palette(), qapp.styleSheet()
    try:
        apply_theme(qapp, "dark")
        qtbot.waitUntil(lambda: all(c.chart_style.dark for c in made))
        assert all(_lightness(c.figure.get_facecolor()) < 0.3 for c in made)
        assert all(not c.is_empty for c in made)
        assert charts.HealthScoreChart(host).chart_style.dark
    finally:
        apply_theme(qapp, "system")
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
    qtbot.waitUntil(lambda: not any(c.chart_style.dark for c in made))
    assert [c.figure.get_facecolor() for c in made] == light_faces


def test_restyle_can_force_the_dark_scheme(host: QWidget) -> None:
    from matplotlib.colors import to_rgba

    chart = _make(host, "ComponentChart")
    light_face, light_text = chart.figure.get_facecolor(), chart.chart_style.text
    chart.restyle(dark=True)
    assert _lightness(chart.figure.get_facecolor()) < 0.3 and not chart.is_empty
    assert chart.chart_style.text != light_text
    (ax,) = chart.figure.axes
    assert _lightness(to_rgba(ax.get_yticklabels()[0].get_color())) > 0.7  # type: ignore[arg-type]
    chart.restyle()
    assert chart.figure.get_facecolor() == light_face


def test_hover_on_score_and_override(host: QWidget) -> None:
    chart = _make(host, "HealthScoreChart")
    i = 10
    value = _scores()[i]
    assert value is not None
    text = chart.hover_at_data(WEEKS[i].toordinal(), value)
    assert text is not None and f"Score {value:.0f}" in text and f"{WEEKS[i]:%b %Y}" in text
    gap = chart.hover_at_data(WEEKS[GAPS[0]].toordinal(), 50)
    assert gap is not None and "No score" in gap
    (markers,) = chart.figure.axes[0].collections
    ox, oy = markers.get_offsets()[0]
    text = chart.hover_at_data(ox, oy)
    assert text is not None and "Override: At risk" in text and OVERRIDE.reason in text


def test_hover_follows_real_mouse_moves(qtbot, host: QWidget) -> None:  # type: ignore[no-untyped-def]
    chart = _make(host, "TicketsNpsChart")
    host.resize(600, 340)
    host.show()
    qtbot.waitExposed(host)
    chart.resize(560, 300)
    chart.draw()
    nps_ax = chart.figure.axes[1]
    x, y = nps_ax.transData.transform((NPS[3][0].toordinal(), NPS[3][1]))
    QTest.mouseMove(chart, _display_to_widget(chart, x, y))
    assert chart.hover_text is not None and chart.hover_text.startswith("NPS 3 (detractor)")
    x, y = chart.figure.axes[0].transData.transform((WEEKS[46].toordinal(), 1))
    QTest.mouseMove(chart, _display_to_widget(chart, x, y))
    assert chart.hover_text is not None and "2 escalations" in chart.hover_text
    assert f"{TICKETS[46]} open tickets" in chart.hover_text


@pytest.mark.parametrize(
    ("kind", "point", "expected"),
    [
        ("ComponentChart", (10, 3), "Sentiment: no data"),
        ("ComponentChart", (90, 0), "37 of 60 seats active"),
        ("AdoptionChart", (WEEKS[30].toordinal(), 5), f"{ACTIVE[30]} active of 80 seats"),
        ("BandsChart", (1, 1), "Watch: 11 accounts (28% of the book)"),
        ("RenewalsChart", (4, 30e3), "Apr 2027 · At risk: $120,000\nof $165,000"),
        (
            "RenewalsChart",
            (4, 200e3),
            "Apr 2027: $165,000 renewing\nWatch $45,000, At risk $120,000",
        ),
    ],
)
def test_hover_text(host: QWidget, kind: str, point: tuple[float, float], expected: str) -> None:
    chart = _make(host, kind)
    text = chart.hover_at_data(*point)
    assert text is not None and expected in text


def test_save_png_writes_a_valid_image(host: QWidget, tmp_path: Path) -> None:
    chart = _make(host, "RenewalsChart")
    written = chart.save_as(tmp_path / "renewals")
    assert written == tmp_path / "renewals.png"
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(written))
    assert image.width() >= 2 * chart.width() and _distinct_colours(image) > 8
    assert chart.export_name() == "renewals-next-12-months.png"


def test_saved_dark_chart_keeps_its_background(host: QWidget, tmp_path: Path) -> None:
    from csmdesk.gui.charts.base import save_png

    chart = _make(host, "BandsChart")
    chart.restyle(dark=True)
    image = QImage(str(save_png(chart.figure, tmp_path / "bands.png", dpi=50)))
    assert QColor(image.pixel(1, 1)).lightnessF() < 0.3


def test_copy_image_puts_the_chart_on_the_clipboard(host: QWidget) -> None:
    chart = _make(host, "AdoptionChart")
    image = chart.copy_image()
    assert not image.isNull() and image.width() >= chart.width()
    assert not QGuiApplication.clipboard().image().isNull()


def test_context_menu_offers_copy_and_save(host: QWidget) -> None:
    chart = _make(host, "ComponentChart")
    menu = chart.context_menu()
    assert [a.text() for a in menu.actions()] == ["Copy image", "Save as PNG…"]
    menu.deleteLater()


def test_export_is_sharper_than_the_screen(qtbot, host: QWidget) -> None:  # type: ignore[no-untyped-def]
    chart = _make(host, "HealthScoreChart")
    host.show()
    qtbot.waitExposed(host)
    assert chart.device_pixel_ratio == chart.devicePixelRatioF()
    assert chart.export_dpi() >= 2 * chart.figure.dpi / chart.device_pixel_ratio


@pytest.mark.parametrize(
    "kind", ["HealthScoreChart", "RenewalsChart", "AdoptionChart", "TicketsNpsChart", "BandsChart"]
)
def test_narrow_chart_labels_do_not_overlap(host: QWidget, kind: str) -> None:
    chart = _make(host, kind)
    chart.resize(chart.minimumWidth(), chart.minimumHeight())
    chart.figure.set_size_inches(chart.minimumWidth() / 100, chart.minimumHeight() / 100)
    chart._layout()
    renderer = chart.get_renderer()
    chart.figure.draw(renderer)
    for ax in chart.figure.axes:
        boxes = [
            t.get_window_extent(renderer)
            for t in ax.get_xticklabels()
            if t.get_visible() and t.get_text()
        ]
        for a, b in itertools.pairwise(boxes):
            assert not a.overlaps(b)
    keys = [t.get_window_extent(renderer) for t in chart.key_labels()]
    titles = [t.get_window_extent(renderer) for t in chart.figure.texts if t.get_text()]
    assert not any(k.overlaps(t) for k in keys for t in titles)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(keys, 2))
    for key in keys:
        assert key.x0 >= 0 and key.x1 <= chart.figure.bbox.width
    plot_top = max(ax.get_position().y1 for ax in chart.figure.axes) * chart.figure.bbox.height
    assert all(k.y0 >= plot_top for k in keys)


def test_panel_lays_charts_out_in_a_grid(host: QWidget) -> None:
    made = [_make(host, k) for k in ("HealthScoreChart", "ComponentChart", "AdoptionChart")]
    panel = ChartPanel(made, columns=2, parent=host)
    wide = charts.RenewalsChart()
    panel.add_chart(wide, span=2)
    grid = panel.layout()
    positions = [grid.getItemPosition(grid.indexOf(c))[:3] for c in panel.charts()]
    assert positions == [(0, 0, 1), (0, 1, 1), (1, 0, 1), (2, 0, 1)]
    assert grid.getItemPosition(grid.indexOf(wide))[3] == 2
    panel.restyle(dark=True)
    assert all(c.chart_style.dark for c in panel.charts())  # type: ignore[attr-defined]


def test_lazy_package_names_resolve() -> None:
    from csmdesk.gui.charts.health import HealthScoreChart

    assert charts.HealthScoreChart is HealthScoreChart and charts.ChartPanel is ChartPanel
    with pytest.raises(AttributeError):
        charts.NoSuchChart  # noqa: B018


def test_money_labels_are_compact() -> None:
    assert compact_money(2_350_000, "$") == "$2.35M"
    assert compact_money(1_000_000, "$") == "$1M"
    assert compact_money(999_999, "$") == "$1M"
    assert compact_money(165_000, "€") == "€165k"
    assert compact_money(900, "£") == "£900"
    assert compact_money(12_500, "CHF") == "CHF 12.5k"
    assert full_money(1_234_000.4, "$") == "$1,234,000"


def test_month_ticks_thin_out_when_narrow() -> None:
    from csmdesk.gui.charts.base import month_ticks

    start, end = WEEKS[0], WEEKS[-1]
    wide, labels = month_ticks(start, end, 600)
    assert len(wide) == 12 and labels[0] == "Dec\n2025" and "Jan\n2026" in labels
    narrow, labels = month_ticks(start, end, 150)
    assert len(narrow) <= 5 and "Jan\n2026" in labels


def test_no_pyplot_anywhere(host: QWidget) -> None:
    for kind in FILLED:
        _make(host, kind)
    assert "matplotlib.pyplot" not in sys.modules
    for path in Path(charts.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "matplotlib.pyplot" not in text and "import pyplot" not in text, path


def test_mouse_leave_hides_hover(host: QWidget) -> None:
    chart = _make(host, "BandsChart")
    assert chart.hover_at_data(5, 0) is not None
    chart.callbacks.process("figure_leave_event", None)
    assert chart.hover_text is None
