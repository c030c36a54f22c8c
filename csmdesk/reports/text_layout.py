"""Plain-text helpers the QBR writers share: right-to-left detection and splitting a section
into pieces that fit a page or a slide without losing or changing a character."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator

# XML 1.0 cannot carry these; a .pptx replaces them (a PDF keeps everything).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_rtl(line: str) -> bool:
    """True when the first strongly directional character is right-to-left (Hebrew, Arabic…)."""
    for ch in line:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def indent_of(line: str) -> int:
    """How far a line hangs: a ``- `` bullet or an indented continuation line."""
    stripped = line.lstrip(" ")
    lead = len(line) - len(stripped)
    return lead + 2 if stripped.startswith(("- ", "* ", "• ")) else lead


def _split_long(line: str, width: int) -> Iterator[str]:
    """Pieces of at most ``width`` characters, cut after a space when there is one; the
    pieces joined give the line back exactly."""
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        cut = width if cut <= 0 else cut + 1
        yield line[:cut]
        line = line[cut:]
    yield line


def chunk_lines(text: str, chars_per_line: int, lines_per_chunk: int) -> list[list[str]]:
    """``text`` in chunks of at most ``lines_per_chunk`` wrapped lines (estimated from
    ``chars_per_line``). A chunk is a list of lines; a paragraph longer than a chunk is cut
    after a space and continues in the next one (its pieces keep every character)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline of a section is not an empty paragraph
    chunks: list[list[str]] = []
    current: list[str] = []
    used = 0
    budget = chars_per_line * lines_per_chunk
    for line in lines:
        for piece in _split_long(line, budget):
            need = max(1, math.ceil(len(piece) / chars_per_line))
            if current and used + need > lines_per_chunk:
                chunks.append(current)
                current, used = [], 0
            current.append(piece)
            used += need
    if current or not chunks:
        chunks.append(current)
    return chunks
