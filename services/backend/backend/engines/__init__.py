"""Translation engines behind one protocol (see base.Engine)."""

from backend.engines.base import Engine, EngineError

__all__ = ["Engine", "EngineError"]
