"""The Flask application: respondent flow, administration, results, login, mail, CLI.

``create_app`` is imported on first use, not with the package, so that a command such as
``paverkan stats`` that needs no web app does not pay for loading Flask, SQLAlchemy and Alembic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from survey.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from survey.app import create_app

        return create_app
    raise AttributeError(f"module 'survey' has no attribute {name!r}")
