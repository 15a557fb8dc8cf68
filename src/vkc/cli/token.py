"""``vkc token``: create, list and revoke the bearer tokens that allow writes through the APIs."""

from __future__ import annotations

import typer

from vkc import auth
from vkc.cli.common import DbOption, open_db

token_app = typer.Typer(help="Access tokens for writing through the APIs (only their hashes are stored).", no_args_is_help=True)


@token_app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="editor (the scopes given) or admin (everything)."),
    collection: str | None = typer.Option(None, "--collection", "-c", help="Short for --scope features:COLLECTION."),
    scope: list[str] | None = typer.Option(
        None, "--scope", "-s", help="What an editor token may do, repeatable: features:NAME, features:*, sensorthings, alerts:manage (default: all three kinds)."
    ),
    name: str = typer.Option("", "--name", help="Who or what the token is for (shown in listings)."),
    db: DbOption = None,
) -> None:
    """Make a token and print it once: it cannot be shown again."""
    from vkc.component import installed, scope_kinds

    with open_db(db) as store:
        token_id, token = auth.create_token(store, role, collection=collection, scopes=scope or (), kinds=scope_kinds(installed()), name=name)
        record = next(t for t in auth.list_tokens(store) if t["id"] == token_id)
    typer.echo(token)
    held = "everything" if role == "admin" else ", ".join(auth.scope_texts(record))
    typer.echo(f"token {token_id} ({role}: {held}): store it now, it is not shown again", err=True)


@token_app.command("list")
def list_tokens(db: DbOption = None) -> None:
    """List tokens by id, role, scope and state (never the tokens themselves)."""
    with open_db(db) as store:
        for t in auth.list_tokens(store):
            state = f"revoked {t['revoked'][:19]}" if t["revoked"] else "active"
            held = "*" if t["role"] == "admin" else " ".join(auth.scope_texts(t))
            typer.echo(f"{t['id']}  {t['role']:<6}  {held:<40}  {state:<28}  {t['name']}")


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (the 8 hex digits after 'vkc_')."), db: DbOption = None) -> None:
    """Revoke a token at once; requests carrying it get 401 from then on."""
    with open_db(db) as store:
        record = auth.revoke_token(store, token_id)
    typer.echo(f"token {record['id']} revoked")
