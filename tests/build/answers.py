"""The model answers of ``teacher/answers``, loaded as any student's file would be."""

from __future__ import annotations

from pathlib import Path

from labchat.build.exercises import EXERCISES, exercise
from labchat.protocols import load_engine_class
from labchat.protocols.base import Engine

ANSWERS = Path(__file__).resolve().parents[2] / "teacher" / "answers"


def answer(key: str) -> type[Engine]:
    """The model answer to exercise ``key`` (its file is named after the key)."""
    return load_engine_class(ANSWERS / f"{key}.py", exercise(key).class_name)


ALL_KEYS = [ex.key for ex in EXERCISES]
