"""`open_resources`: a step that fails closes everything the steps before it opened."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from frontend import resources
from frontend.articles.pipeline import Articles
from frontend.config import Settings
from frontend.storage import database
from frontend.storage.pending import PendingSaves
from sqlalchemy.ext.asyncio import AsyncEngine

#: Each step of open_resources, in its order: where its opener lives and the opener's name.
STEPS: list[tuple[Any, str]] = [
    (resources, "_backend_http"),
    (database, "create_engine"),
    (database, "create_readonly_engine"),
    (resources, "_migrate_or_postpone"),
    (PendingSaves, "start"),
    (Articles, "open"),
]
#: How what the steps open is closed (patched on the class: the engines have slots).
CLOSERS: list[tuple[type, str]] = [
    (httpx.AsyncClient, "aclose"),
    (AsyncEngine, "dispose"),
    (PendingSaves, "stop"),
    (Articles, "aclose"),
]


class Boom(RuntimeError):
    """The failure of the step under test."""


def _failing(*args: Any, **kwargs: Any) -> Any:
    raise Boom


def _opener(name: str, opener: Callable[..., Any], ran: list[tuple[str, object]]) -> Any:
    """Wrap a step's opener so that the step and what it opened are recorded."""

    async def opened_later(awaitable: Any, receiver: object) -> Any:
        result = await awaitable
        # PendingSaves.start opens its receiver; _migrate_or_postpone maybe a task.
        ran.append((name, result if result is not None else receiver))
        return result

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = opener(*args, **kwargs)
        if inspect.isawaitable(result):
            return opened_later(result, args[0] if args else None)
        ran.append((name, result))
        return result

    return wrapped


def _closer(closer: Callable[..., Any], closed: list[object]) -> Any:
    async def wrapped(self: object, *args: Any, **kwargs: Any) -> Any:
        closed.append(self)
        return await closer(self, *args, **kwargs)

    return wrapped


@pytest.mark.parametrize("failing", range(len(STEPS)), ids=[name for _, name in STEPS])
async def test_a_failing_step_closes_what_the_steps_before_it_opened(
    failing: int, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, object]] = []
    closed: list[object] = []
    for owner, name in CLOSERS:
        monkeypatch.setattr(owner, name, _closer(getattr(owner, name), closed))
    for index, (owner, name) in enumerate(STEPS):
        if index == failing:
            monkeypatch.setattr(owner, name, _failing)
            continue
        wrapped = _opener(name, getattr(owner, name), ran)
        # A classmethod comes bound from getattr: keep it callable on the class as it was.
        is_classmethod = isinstance(inspect.getattr_static(owner, name), classmethod)
        monkeypatch.setattr(owner, name, staticmethod(wrapped) if is_classmethod else wrapped)

    with pytest.raises(Boom):
        await resources.open_resources(make_settings())

    assert [name for name, _ in ran] == [name for _, name in STEPS[:failing]]
    opened = [thing for name, thing in ran if name != "_migrate_or_postpone"]
    assert [thing for thing in opened if thing not in closed] == []
