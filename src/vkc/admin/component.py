"""The administrative units component: Vietnam's provinces before and after the 2025 reform."""

from __future__ import annotations

from vkc.component import CommandLine, Component


def _cli(cl: CommandLine) -> None:
    from vkc.cli import admin

    cl.app.add_typer(admin.app, name="admin")


COMPONENT = Component(name="admin", summary="Administrative units: 63 provinces until 2025-06-30, 34 since 2025-07-01", cli=_cli)
