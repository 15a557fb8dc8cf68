"""The ``vkc`` command: a thin Typer layer over the library.

Library errors (:class:`vkc.errors.VKCError`) become ``error: <message>`` on
standard error and exit status 1, here and nowhere else.
"""

from __future__ import annotations

import logging
import sys

import typer

from vkc.errors import VKCError

app = typer.Typer(
    name="vkc",
    help="VKC smart-city platform: Vietnam's urban spatial data, assessment and cooperation registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)



_registered = False


def _register() -> None:
    """The kernel's commands, then each installed component's."""
    global _registered
    if _registered:
        return
    _registered = True
    from vkc import component
    from vkc.cli import audit, backup, serve, store, token, user

    app.command("serve")(serve.serve)
    app.add_typer(store.store_app, name="store")
    app.add_typer(store.db_app, name="db")
    app.add_typer(token.token_app, name="token")
    app.add_typer(user.user_app, name="user")
    app.add_typer(audit.audit_app, name="audit")
    app.command("backup")(backup.backup)
    app.command("restore")(backup.restore)
    app.command("components")(store.list_components)
    command_line = component.CommandLine(app)
    for c in component.installed():
        if c.cli is not None:
            c.cli(command_line)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vkc`` console script."""
    # The connection pool reports each failed reconnection, and psycopg a COPY cut off by a lost
    # connection; the CLI reports the one error that results.
    logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    _register()
    try:
        app(args=argv, prog_name="vkc")  # click handles usage errors itself (exit status 2)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except VKCError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
