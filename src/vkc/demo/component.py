"""The demo component: ``vkc demo`` builds a store of real reference data and marked synthetic layers."""

from __future__ import annotations

from vkc.component import CommandLine, Component


def _cli(cl: CommandLine) -> None:
    from vkc.cli import demo

    cl.app.command("demo")(demo.demo)


COMPONENT = Component(name="demo", summary="Demo data for Hà Nội, Đà Nẵng, TP Hồ Chí Minh and Cần Thơ", requires=("features", "sensors"), cli=_cli)
