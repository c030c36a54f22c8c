"""The QBR/EBR as a PowerPoint deck (python-pptx), 16:9: title, agenda (with the attendees),
goals and progress, usage (the chart as a picture beside the figures), value, roadmap,
expansion, next steps. Risks go in the speaker notes of the next-steps slide: the deck is
shown to the customer, the risks are for the CSM to raise in their own words.

PowerPoint does not paginate a text box, so a section longer than a slide continues on
"(continued)" slides; no text is cut or shrunk. Text goes in as typed, one paragraph per line;
a line whose first strong character is right-to-left is marked RTL. Characters XML cannot
carry (control characters other than tab) become U+FFFD. Written aside, then renamed.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from csmdesk.domain.reviews import SECTION_LABELS, ReviewContent
from csmdesk.reports import ExportCancelled
from csmdesk.reports.qbr_chart import render_usage_png
from csmdesk.reports.text_layout import chunk_lines, is_rtl, xml_safe

log = logging.getLogger(__name__)

Progress = Callable[[int, int], bool]
ACCENT = (0x2F, 0x6F, 0xDE)
MUTED = (0x5B, 0x61, 0x6B)
TEXT = (0x1F, 0x23, 0x28)
BODY_PT = 18
SIDE_PT = 14
# Wrapping estimates (characters per line, lines per box) for the boxes below.
BODY_FIT = (80, 14)
SIDE_FIT = (38, 16)
AGENDA = ("goals", "usage", "value", "roadmap", "expansion", "next_steps")
KIND_NAMES = {"qbr": "Quarterly Business Review", "ebr": "Executive Business Review"}


class _Deck:
    def __init__(self, content: ReviewContent) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.content = content
        self.prs = Presentation()
        self.prs.slide_width = Inches(13.333)
        self.prs.slide_height = Inches(7.5)
        self.inches = Inches

    def _rgb(self, color: tuple[int, int, int]) -> Any:
        from pptx.dml.color import RGBColor

        return RGBColor(*color)

    def _paragraphs(
        self, frame: Any, lines: list[str], size: float, color: tuple[int, int, int] = TEXT
    ) -> None:
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Pt

        frame.word_wrap = True
        for i, line in enumerate(lines or [""]):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = xml_safe(line)
            run.font.size = Pt(size)
            run.font.color.rgb = self._rgb(color)
            para.space_after = Pt(size * 0.35)
            if is_rtl(line):
                para.alignment = PP_ALIGN.RIGHT
                para._p.get_or_add_pPr().set("rtl", "1")

    def slide(self, title: str) -> Any:
        from pptx.util import Pt

        slide = self.prs.slides.add_slide(self.prs.slide_layouts[5])  # title only
        shape = slide.shapes.title
        shape.left, shape.top = self.inches(0.6), self.inches(0.35)
        shape.width, shape.height = self.inches(12.1), self.inches(1.0)
        shape.text_frame.text = xml_safe(title)
        para = shape.text_frame.paragraphs[0]
        para.font.size, para.font.bold = Pt(32), True
        para.font.color.rgb = self._rgb(ACCENT)
        from pptx.enum.text import PP_ALIGN

        para.alignment = PP_ALIGN.LEFT
        footer = slide.shapes.add_textbox(
            self.inches(0.6), self.inches(6.95), self.inches(12.1), self.inches(0.35)
        )
        c = self.content
        self._paragraphs(
            footer.text_frame, [f"{c.account_name} · {c.kind_label} {c.period}"], 10, MUTED
        )
        return slide

    def box(self, slide: Any, x: float, y: float, w: float, h: float) -> Any:
        shape = slide.shapes.add_textbox(
            self.inches(x), self.inches(y), self.inches(w), self.inches(h)
        )
        return shape.text_frame

    def text_slides(self, title: str, text: str) -> list[Any]:
        """One slide per chunk of ``text`` (the first titled ``title``)."""
        slides = []
        for i, chunk in enumerate(chunk_lines(text, *BODY_FIT)):
            slide = self.slide(title if i == 0 else f"{title} (continued)")
            self._paragraphs(self.box(slide, 0.6, 1.45, 12.1, 5.4), chunk, BODY_PT)
            slides.append(slide)
        return slides

    def title_slide(self) -> None:
        from pptx.util import Pt

        c = self.content
        from pptx.enum.text import PP_ALIGN

        slide = self.prs.slides.add_slide(self.prs.slide_layouts[0])
        # The default template's placeholders are placed for 4:3; move them onto 16:9.
        for shape, (top, height) in zip(slide.placeholders, ((2.0, 1.6), (3.8, 2.2)), strict=False):
            shape.left, shape.width = self.inches(0.9), self.inches(11.5)
            shape.top, shape.height = self.inches(top), self.inches(height)
        slide.shapes.title.text = xml_safe(c.account_name)
        title = slide.shapes.title.text_frame.paragraphs[0]
        title.font.size, title.font.bold = Pt(44), True
        title.alignment = PP_ALIGN.LEFT
        lines = [KIND_NAMES.get(c.kind, c.kind_label), c.subtitle]
        if c.owner:
            lines.append(f"Prepared by {c.owner}")
        subtitle = slide.placeholders[1].text_frame
        subtitle.clear()
        self._paragraphs(subtitle, lines, 20, MUTED)
        for para in subtitle.paragraphs:
            if para.alignment is None:
                para.alignment = PP_ALIGN.LEFT

    def agenda_slide(self) -> None:
        slide = self.slide("Agenda")
        items = [f"{n}.  {SECTION_LABELS[key]}" for n, key in enumerate(AGENDA, 1)]
        self._paragraphs(self.box(slide, 0.6, 1.45, 6.0, 5.4), items, 22)
        chunks = chunk_lines(self.content.section("attendees"), *SIDE_FIT)
        frame = self.box(slide, 7.0, 1.45, 5.7, 5.4)
        self._paragraphs(frame, ["Attendees", *chunks[0]], SIDE_PT)
        frame.paragraphs[0].runs[0].font.bold = True
        for chunk in chunks[1:]:
            more = self.slide("Attendees (continued)")
            self._paragraphs(self.box(more, 0.6, 1.45, 12.1, 5.4), chunk, SIDE_PT)

    def usage_slide(self, chart: bytes | None) -> None:
        title = SECTION_LABELS["usage"]
        slide = self.slide(title)
        chunks = chunk_lines(self.content.section("usage"), *SIDE_FIT)
        if chart is not None:
            slide.shapes.add_picture(
                io.BytesIO(chart), self.inches(0.6), self.inches(1.6), width=self.inches(8.2)
            )
        else:
            note = self.box(slide, 0.6, 1.6, 8.2, 1.0)
            self._paragraphs(note, ["No usage readings to chart yet."], SIDE_PT, MUTED)
        self._paragraphs(self.box(slide, 9.1, 1.6, 3.6, 5.2), chunks[0], SIDE_PT)
        for chunk in chunks[1:]:
            more = self.slide(f"{title} (continued)")
            self._paragraphs(self.box(more, 0.6, 1.45, 12.1, 5.4), chunk, SIDE_PT)

    def notes(self, slide: Any, heading: str, text: str) -> None:
        frame = slide.notes_slide.notes_text_frame
        frame.text = xml_safe(f"{heading}\n{text}")


def write_pptx(
    content: ReviewContent, path: Path | str, *, progress: Progress | None = None
) -> Path:
    """Write the deck to ``path``; ``progress(done, total)`` returning False cancels
    (:class:`ExportCancelled`, nothing left on disk)."""
    target = Path(path)
    part = target.with_name(target.name + ".part")
    report = progress or (lambda done, total: True)
    steps = 9

    def step(n: int) -> None:
        if not report(n, steps):
            raise ExportCancelled

    step(0)
    deck = _Deck(content)
    chart = render_usage_png(content.usage, width_in=8.2, height_in=3.8, dpi=200)
    step(1)
    deck.title_slide()
    deck.agenda_slide()
    step(2)
    deck.text_slides(SECTION_LABELS["goals"], content.section("goals"))
    step(3)
    deck.usage_slide(chart)
    step(4)
    for n, key in enumerate(("value", "roadmap", "expansion"), 5):
        deck.text_slides(SECTION_LABELS[key], content.section(key))
        step(n)
    last = deck.text_slides(SECTION_LABELS["next_steps"], content.section("next_steps"))
    deck.notes(last[0], "Risks to raise (not on the slides):", content.section("risks"))
    try:
        deck.prs.save(str(part))
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    step(steps)
    log.info("QBR deck written: %d slides", len(deck.prs.slides))
    return target
