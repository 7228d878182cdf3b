"""Dependencies the routes declare: the service state, the ready translator, the request id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backend.config import Settings
from backend.file_store import FileStore
from backend.service import BackendState
from backend.translator import Translator


def get_state(request: Request) -> BackendState:
    """Return the state the app factory attached to the app."""
    return request.app.state.backend


StateDep = Annotated[BackendState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    """Return the app's settings."""
    return state.settings


def get_translator(state: StateDep) -> Translator:
    """Return the translator, or fail with 503 while the model is not loaded."""
    return state.ready_translator()


def get_files(request: Request) -> FileStore:
    """Return the store of translated files waiting for /download_file."""
    return request.app.state.files


def get_request_id(request: Request) -> str:
    """Return the id the request-log middleware gave this request."""
    return request.state.request_id


SettingsDep = Annotated[Settings, Depends(get_settings)]
TranslatorDep = Annotated[Translator, Depends(get_translator)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
FilesDep = Annotated[FileStore, Depends(get_files)]


def note(request: Request, **fields: int | str) -> None:
    """Add sizes or counts to this request's log line (never the text itself)."""
    request.state.log_fields.update(fields)
