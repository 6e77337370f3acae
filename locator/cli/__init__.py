"""The ``locator`` command (console script ``locator.cli.commands:main``) and its Flask CLI twin."""

from __future__ import annotations

from locator.cli.commands import main, register

__all__ = ["main", "register"]
