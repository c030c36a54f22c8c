"""The QBR/EBR exports read back: PDF pages and images (pypdf), PowerPoint slides, titles and
the chart picture (python-pptx), the CSM's text kept exactly, cancel leaving nothing."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from csmdesk.domain.reviews import ReviewContent, UsageSeries
from csmdesk.reports import ExportCancelled
from csmdesk.reports.qbr_chart import render_usage_png
from csmdesk.reports.qbr_pdf import build_document, write_pdf
from csmdesk.reports.qbr_pptx import write_pptx
from csmdesk.services import reviews
from csmdesk.store import Database
from tests.conftest import TODAY
from tests.services.test_reviews import ARABIC, HEBREW, make_globex

PNG = b"\x89PNG\r\n\x1a\n"
DECK_TITLES = [
    "Globex",
    "Agenda",
    "Goals and progress",
    "Product usage and adoption",
    "Value realized",
    "Roadmap",
    "Expansion opportunities",
    "Next steps / mutual action plan",
]
TRICKY = f"- Launch 🚀 in the EU 🇪🇺\n- {HEBREW} 20%\n{ARABIC}\n"


@pytest.fixture
def content(db: Database) -> ReviewContent:
    aid = make_globex(db)
    review = reviews.prefill(db, aid, TODAY)
    assert review.id is not None
    return reviews.review_content(db, review.id, TODAY)


def _with(content: ReviewContent, **sections: str) -> ReviewContent:
    return dataclasses.replace(content, sections={**content.sections, **sections})


def test_usage_chart_is_a_png_and_absent_without_readings(content: ReviewContent) -> None:
    png = render_usage_png(content.usage)
    assert png is not None and png.startswith(PNG)
    assert render_usage_png(UsageSeries()) is None


def test_pdf_has_a_title_page_the_agenda_and_a_page_per_section_with_the_chart(
    qapp, content: ReviewContent, tmp_path: Path
) -> None:
    path = write_pdf(content, tmp_path / "globex.pdf")
    reader = PdfReader(path)
    assert len(reader.pages) == 10  # title, agenda, eight sections
    assert reader.metadata is not None and reader.metadata.title == "Globex QBR 2026-Q4"
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert texts[0].startswith("Quarterly Business Review Globex Globex QBR 2026-Q4")
    assert texts[1].startswith("Agenda 1. Attendees 2. Goals and progress")
    headings = ["Attendees", "Goals and progress", "Value realized", "Product usage and adoption"]
    headings += ["Roadmap", "Risks", "Expansion opportunities", "Next steps / mutual action plan"]
    for text, heading in zip(texts[2:], headings, strict=True):
        assert text.startswith(heading + " ")
        assert text.endswith(f"Globex · QBR 2026-Q4 {texts.index(text) + 1} / 10")
    assert "Sam Lee (Admin)" in texts[2] and "Chief" not in texts[2]
    usage_page = 5
    assert "76 of 100 licensed seats" in texts[usage_page]
    images = {i: len(page.images) for i, page in enumerate(reader.pages)}
    assert images[usage_page] == 1 and sum(images.values()) == 1
    assert reader.pages[usage_page].images[0].data  # a real picture, not an empty stub
    assert not (tmp_path / "globex.pdf.part").exists()


def test_pdf_runs_a_long_section_on_to_further_pages_without_losing_its_end(
    qapp, content: ReviewContent, tmp_path: Path
) -> None:
    words = [f"w{i:04d}" for i in range(5000)]
    long = "- " + " ".join(words) + "\n" + "x" * 3000 + "\n"
    reader = PdfReader(write_pdf(_with(content, goals=long), tmp_path / "long.pdf"))
    assert len(reader.pages) > 12
    found = re.findall(r"w\d{4}", "".join(page.extract_text() for page in reader.pages))
    assert found[-1] == "w4999"
    assert len(found) == len(set(found))  # no line drawn twice (hidden under a clip)
    assert len(found) > 4950  # pypdf glues a word to the next now and then
    assert found == sorted(found)


def test_pdf_document_carries_emoji_and_right_to_left_text_exactly(
    qapp, content: ReviewContent
) -> None:
    from PySide6.QtCore import Qt

    doc = build_document(_with(content, goals=TRICKY), 2000.0, None)
    plain = doc.toPlainText()
    assert "- Launch 🚀 in the EU 🇪🇺" in plain
    assert f"- {HEBREW} 20%" in plain and ARABIC in plain
    directions = {}
    block = doc.begin()
    while block.isValid():
        directions[block.text()] = block.blockFormat().layoutDirection()
        block = block.next()
    assert directions[f"- {HEBREW} 20%"] == Qt.LayoutDirection.RightToLeft
    assert directions[ARABIC] == Qt.LayoutDirection.RightToLeft
    assert directions["- Launch 🚀 in the EU 🇪🇺"] == Qt.LayoutDirection.LeftToRight


def _slide_texts(slide) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        p.text
        for shape in slide.shapes
        if shape.has_text_frame and shape != slide.shapes.title
        for p in shape.text_frame.paragraphs
    ]


def test_pptx_has_the_eight_slides_and_the_usage_chart_picture(
    content: ReviewContent, tmp_path: Path
) -> None:
    path = write_pptx(content, tmp_path / "globex.pptx")
    deck = Presentation(str(path))
    slides = list(deck.slides)
    assert [s.shapes.title.text for s in slides] == DECK_TITLES
    pictures = [
        (i, shape)
        for i, s in enumerate(slides)
        for shape in s.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]
    assert [i for i, _ in pictures] == [3]
    assert pictures[0][1].image.blob.startswith(PNG)
    assert "- Active users: 76 of 100 licensed seats (76% adoption) on 23 Nov 2026" in (
        _slide_texts(slides[3])
    )
    assert "- Sam Lee (Admin)" in _slide_texts(slides[1])  # attendees beside the agenda
    notes = slides[7].notes_slide.notes_text_frame.text
    assert "Budget freeze in Q1" in notes  # risks are for the CSM, in the speaker notes
    assert deck.slide_width > deck.slide_height


def test_pptx_keeps_emoji_and_rtl_and_continues_a_long_section(
    content: ReviewContent, tmp_path: Path
) -> None:
    goals = TRICKY + "- " + "renewal plan " * 800 + "END\n"
    deck = Presentation(str(write_pptx(_with(content, goals=goals), tmp_path / "g.pptx")))
    slides = [s for s in deck.slides if s.shapes.title.text.startswith("Goals and progress")]
    assert len(slides) > 2
    assert [s.shapes.title.text for s in slides[1:]] == ["Goals and progress (continued)"] * (
        len(slides) - 1
    )
    footer = "Globex · QBR 2026-Q4"
    paragraphs = [p for s in slides for p in _slide_texts(s) if p != footer]
    assert "".join(paragraphs) == goals.replace("\n", "")
    rtl = {
        p.text: p._p.pPr is not None and p._p.pPr.get("rtl") == "1"
        for s in slides
        for shape in s.shapes
        if shape.has_text_frame
        for p in shape.text_frame.paragraphs
    }
    assert rtl[f"- {HEBREW} 20%"] and rtl[ARABIC] and not rtl["- Launch 🚀 in the EU 🇪🇺"]
    assert len(deck.slides) == len(DECK_TITLES) + len(slides) - 1


def test_without_readings_the_usage_slide_says_so_instead_of_a_picture(
    content: ReviewContent, tmp_path: Path
) -> None:
    bare = dataclasses.replace(content, usage=UsageSeries())
    deck = Presentation(str(write_pptx(bare, tmp_path / "bare.pptx")))
    usage = list(deck.slides)[3]
    assert all(shape.shape_type != MSO_SHAPE_TYPE.PICTURE for shape in usage.shapes)
    assert "No usage readings to chart yet." in _slide_texts(usage)


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_cancelling_an_export_leaves_no_file(
    qapp, content: ReviewContent, tmp_path: Path, fmt: str
) -> None:
    writer = write_pdf if fmt == "pdf" else write_pptx
    calls: list[int] = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return len(calls) < 3

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ExportCancelled):
        writer(content, folder / f"review.{fmt}", progress=progress)
    assert list(folder.iterdir()) == []
