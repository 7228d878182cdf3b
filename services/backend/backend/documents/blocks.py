"""Translate a document's blocks through any text translator, each block in context.

Framework-free: ``translate`` is any ``async (text) -> translation``; the backend passes its
Translator (one request id for the whole document, so the shared batch scheduler treats it as one
fair request among the others). Every block is submitted at once, so the scheduler sees all
segments and fills its batches; progress is reported as blocks finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from backend.documents.inline import anchor_runs, distribute, has_letters

TranslateText = Callable[[str], Awaitable[str]]
#: Called with (blocks done, blocks in all) after every block.
Progress = Callable[[int, int], None]

Block = list[str]


def translatable(blocks: Sequence[Block]) -> list[int]:
    """Return the indices of the blocks that have letters in them."""
    return [index for index, block in enumerate(blocks) if has_letters("".join(block))]


def text_chars(blocks: Sequence[Block]) -> int:
    """Return how many characters of the blocks would be translated."""
    return sum(len("".join(blocks[index])) for index in translatable(blocks))


async def translate_block(runs: Block, translate: TranslateText) -> Block:
    """Translate one block as a whole text and cut the translation back into its runs."""
    with_text = [index for index, run in enumerate(runs) if has_letters(run)]
    if not with_text:
        return list(runs)
    if len(with_text) == 1:
        # One run carries all the words (the others are spaces, numbers or punctuation):
        # translate that run and leave the others exactly as they were.
        out = list(runs)
        out[with_text[0]] = await translate(runs[with_text[0]])
        return out
    anchors = anchor_runs(runs)
    whole, *alone = await asyncio.gather(
        translate("".join(runs)), *(translate(runs[index].strip()) for index in anchors)
    )
    return distribute(runs, whole, dict(zip(anchors, alone, strict=True)))


async def translate_blocks(
    blocks: Sequence[Block], translate: TranslateText, progress: Progress | None = None
) -> list[Block]:
    """Translate every block with letters; the others come back unchanged."""
    todo = translatable(blocks)
    out = [list(block) for block in blocks]
    done = 0

    async def one(index: int) -> None:
        nonlocal done
        out[index] = await translate_block(blocks[index], translate)
        done += 1
        if progress is not None:
            progress(done, len(todo))

    tasks = [asyncio.ensure_future(one(index)) for index in todo]
    try:
        await asyncio.gather(*tasks)
    finally:
        # One block failed or the caller went away: the others' segments are not needed.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return out
