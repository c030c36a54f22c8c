"""The book review read back from the demo book: one landscape page (pypdf), its words as
real text, the PNG of the same page, an empty book, long names, failures and cancelling."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QColor, QImage

from csmdesk.domain.accounts import AccountDraft
from csmdesk.models import Lifecycle
from csmdesk.reports import ExportCancelled
from csmdesk.reports import kpi_charts as charts
from csmdesk.reports.book_review import PNG_DPI, STEPS, page_rect, write_book_review
from csmdesk.services import accounts, kpis
from csmdesk.services import kpi_summary as ks
from csmdesk.store import Database
from tests.conftest import TODAY

LONG_NAME = "Extraordinarily Long Company Name Holdings International " * 3


def _dash(db: Database, choice: str = ks.TRAILING) -> kpis.Dashboard:
    return kpis.dashboard(db, ks.period_for(choice, TODAY), today=TODAY)


def _pdf_text(path: Path) -> tuple[int, str, bool]:
    """Pages, the first page's words joined by single spaces, and whether it is landscape."""
    reader = PdfReader(path)
    page = reader.pages[0]
    landscape = float(page.mediabox.width) > float(page.mediabox.height)
    return len(reader.pages), " ".join(page.extract_text().split()), landscape


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".sqlite3" not in p.name)


def test_pdf_is_one_landscape_page_of_the_tiles_words_and_charts(
    qapp, demo_db: Database, tmp_path: Path
) -> None:
    dash = _dash(demo_db)
    seen: list[tuple[int, int]] = []
    path = write_book_review(
        dash, tmp_path / "review.pdf", progress=lambda d, t: seen.append((d, t)) or True
    )
    assert path == tmp_path / "review.pdf"
    pages, text, landscape = _pdf_text(path)
    assert pages == 1 and landscape
    tiles = {t.key: t for t in ks.tiles(dash)}
    assert tiles["grr"].value != ks.DASH and tiles["nrr"].value != ks.DASH
    for tile in tiles.values():
        assert tile.title in text
    for key in ("grr", "nrr"):
        assert f"{tiles[key].title} {tiles[key].value} {tiles[key].benchmark}" in text
    assert f"Book review {ks.period_title(ks.TRAILING, dash.current.period)}" in text
    assert ks.subtitle(dash, ks.TRAILING) in text
    assert f"Prepared {ks.day_text(TODAY)}" in text
    for title in ("ARR bridge", "ARR at risk by renewal month", "Health by ARR"):
        assert title in text
    assert charts.BRIDGE_EMPTY not in text  # the demo book's charts have bars
    assert "\u2026" not in text  # nothing had to be elided
    assert seen[0] == (0, STEPS) and seen[-1] == (STEPS, STEPS)
    assert _leftovers(tmp_path) == ["review.pdf"]


def test_the_period_choice_titles_the_page(qapp, demo_db: Database, tmp_path: Path) -> None:
    dash = _dash(demo_db, ks.LAST_QUARTER)
    write_book_review(dash, tmp_path / "q.pdf", choice=ks.LAST_QUARTER)
    _pages, text, _landscape = _pdf_text(tmp_path / "q.pdf")
    assert "Book review Q3 2026" in text


def test_png_is_the_same_landscape_page_at_150_dpi_and_not_blank(
    qapp, demo_db: Database, tmp_path: Path
) -> None:
    path = write_book_review(_dash(demo_db), tmp_path / "review.PNG")
    image = QImage(str(path))
    assert not image.isNull()
    page = page_rect()
    expected = (round(page.width() * PNG_DPI / 72), round(page.height() * PNG_DPI / 72))
    assert (image.width(), image.height()) == expected
    assert expected in {(1650, 1275), (1754, 1240)}  # Letter or A4, landscape
    assert image.pixelColor(2, 2) == QColor("#ffffff")  # white margin
    width, height = image.width(), image.height()
    samples = [image.pixel(x, y) for x in range(0, width, 9) for y in range(0, height, 9)]
    white = image.pixel(2, 2)
    inked = sum(1 for p in samples if p != white)
    assert 0.05 < inked / len(samples) < 0.9
    assert len(set(samples)) > 50  # text, tiles and coloured figures, not a flat fill


def test_a_book_with_no_accounts_still_writes_one_page(qapp, db: Database, tmp_path: Path) -> None:
    dash = _dash(db)
    write_book_review(dash, tmp_path / "empty.pdf")
    pages, text, _landscape = _pdf_text(tmp_path / "empty.pdf")
    assert pages == 1
    for empty in (charts.BRIDGE_EMPTY, charts.RISK_EMPTY, charts.HEALTH_EMPTY):
        assert empty in text
    assert "Gross revenue retention \u2014" in text
    assert "0 accounts" in text
    write_book_review(dash, tmp_path / "empty.png")
    assert not QImage(str(tmp_path / "empty.png")).isNull()


def test_long_names_and_warnings_are_elided_to_stay_on_one_page(
    qapp, demo_db: Database, tmp_path: Path
) -> None:
    for n in range(8):
        draft = AccountDraft(
            name=f"{LONG_NAME}{n}",
            lifecycle=Lifecycle.MATURE.value,
            currency="EUR",  # no rate to USD: named in a warning
            arr_minor=50_000_00,
            contract_start=date(2024, 1, 1),
        )
        accounts.create_account(demo_db, draft, today=date(2024, 1, 1))
    dash = _dash(demo_db)
    assert dash.current.warnings and LONG_NAME.strip() in dash.current.warnings[0]
    write_book_review(dash, tmp_path / "long.pdf")
    pages, text, _landscape = _pdf_text(tmp_path / "long.pdf")
    assert pages == 1
    assert "No exchange rate to USD for EUR: 8 account(s) left out" in text
    assert "\u2026" in text  # the warnings paragraph was cut to fit
    assert "and 3 more" not in text  # ...before its end
    for tile in ks.tiles(dash):
        assert tile.title in text and tile.value in text
    write_book_review(dash, tmp_path / "long.png")
    assert QImage(str(tmp_path / "long.png")).width() > QImage(str(tmp_path / "long.png")).height()


def test_a_failing_write_raises_and_leaves_no_part_file(
    qapp, demo_db: Database, tmp_path: Path
) -> None:
    dash = _dash(demo_db)
    missing = tmp_path / "missing" / "review.pdf"
    with pytest.raises(OSError):
        write_book_review(dash, missing)
    assert not missing.parent.exists()
    taken = tmp_path / "taken.png"
    taken.mkdir()  # the rename onto a folder fails after the part is written
    with pytest.raises(OSError):
        write_book_review(dash, taken)
    assert _leftovers(tmp_path) == ["taken.png"]
    assert list(taken.iterdir()) == []


@pytest.mark.parametrize("name", ["review.docx", "review", "review.pdf.txt"])
def test_a_suffix_other_than_pdf_or_png_is_refused(
    qapp, demo_db: Database, tmp_path: Path, name: str
) -> None:
    with pytest.raises(ValueError, match=r"\.pdf or \.png"):
        write_book_review(_dash(demo_db), tmp_path / name)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", [".pdf", ".png"])
@pytest.mark.parametrize("stop_at", [0, 2])
def test_cancelling_leaves_no_file(
    qapp, demo_db: Database, tmp_path: Path, suffix: str, stop_at: int
) -> None:
    calls: list[int] = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return done < stop_at

    with pytest.raises(ExportCancelled):
        write_book_review(_dash(demo_db), tmp_path / f"review{suffix}", progress=progress)
    assert calls[-1] == stop_at
    assert _leftovers(tmp_path) == []


def test_it_runs_on_a_worker_thread(qapp, demo_db: Database, tmp_path: Path) -> None:
    dash = _dash(demo_db)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            write_book_review(dash, tmp_path / "review.pdf")
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(60)
    assert not errors and _pdf_text(tmp_path / "review.pdf")[0] == 1
