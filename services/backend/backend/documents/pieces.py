"""Split a line-based text into translatable runs and fixed markup between them.

Markdown's ``**``, code spans and link targets, or a subtitle's line breaks and ``<i>`` tags, are
fixed pieces: they come back exactly as they were, and the runs between them form one block, so
"Das ist **sehr** gut" is translated as one sentence and its words are cut back around the stars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.documents.blocks import Block


@dataclass
class Pieced:
    """A text as runs and fixed pieces, alternating: run, fixed, run, ..., run."""

    runs: Block
    fixed: list[str]

    def join(self, runs: Block) -> str:
        """Return the text with translated runs in place of the originals."""
        out = [runs[0]]
        for fixed, run in zip(self.fixed, runs[1:], strict=True):
            # A line break is fixed; the run before it was given a space so the words on both
            # lines read as one sentence. Drop that space again at the line's end.
            if "\n" in fixed:
                out[-1] = out[-1].rstrip(" ")
            out.extend((fixed, run))
        return "".join(out)


def split(text: str, fixed: re.Pattern[str]) -> Pieced:
    """Cut text at every match of fixed; runs are the text between the matches."""
    runs: Block = []
    pieces: list[str] = []
    position = 0
    for match in fixed.finditer(text):
        run = text[position : match.start()]
        if "\n" in match.group() and run and not run.endswith(" "):
            run += " "
        runs.append(run)
        pieces.append(match.group())
        position = match.end()
    runs.append(text[position:])
    return Pieced(runs, pieces)
