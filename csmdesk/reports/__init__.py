"""Documents made from the book: the QBR/EBR deck as PDF and PowerPoint.

No QtWidgets here (QtGui painting is fine), and no database: the writers take a
:class:`csmdesk.domain.reviews.ReviewContent` gathered beforehand, so they can run on a worker
thread. Matplotlib and python-pptx load only when an export runs.
"""

from __future__ import annotations


class ExportCancelled(Exception):
    """The user cancelled; the writer removed what it had started."""
