"""``vkc token``: create, list and revoke the bearer tokens that allow writes through the APIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from vkc import auth
from vkc.cli.common import DbOption, open_db
from vkc.errors import InputError

token_app = typer.Typer(help="Access tokens for writing through the APIs (only their hashes are stored).", no_args_is_help=True)


@token_app.command("create")
def create(
    role: str | None = typer.Option(None, "--role", help="A machine token: editor (the scopes given) or admin (everything)."),
    user: str | None = typer.Option(None, "--user", help="A user's token instead: it acts with the user's grants as they are at each request."),
    expires_days: int | None = typer.Option(None, "--expires-days", min=1, help="The token stops working after this many days (default: user tokens 90, machine tokens never)."),
    collection: str | None = typer.Option(None, "--collection", "-c", help="Short for --scope features:COLLECTION."),
    scope: list[str] | None = typer.Option(
        None, "--scope", "-s", help="What an editor token may do, repeatable: features:NAME, features:*, sensorthings, alerts:manage, audit:read (default: the first three)."
    ),
    name: str = typer.Option("", "--name", help="Who or what the token is for (shown in listings)."),
    db: DbOption = None,
) -> None:
    """Make a token and print it once: it cannot be shown again."""
    from vkc.component import installed, scope_kinds

    if (role is None) == (user is None):
        raise InputError("give --role (a machine token) or --user (a user's token), one of them", field="role")
    if user is not None:
        if collection or scope:
            raise InputError("a user's token holds the user's grants; grant more with `vkc user grant`, not --scope", field="scope")
        expires = datetime.now(UTC) + timedelta(days=expires_days or auth.USER_TOKEN_DAYS)
        with open_db(db) as store:
            token_id, token = auth.create_user_token(store, user, expires=expires, name=name)
        typer.echo(token)
        typer.echo(f"token {token_id} for user {user}, until {expires:%Y-%m-%d}: store it now, it is not shown again", err=True)
        return
    assert role is not None
    until = None if expires_days is None else datetime.now(UTC) + timedelta(days=expires_days)
    with open_db(db) as store:
        token_id, token = auth.create_token(
            store, role, collection=collection, scopes=scope or (), kinds=scope_kinds(installed()), name=name, expires=until
        )
        record = next(t for t in auth.list_tokens(store) if t["id"] == token_id)
    typer.echo(token)
    held = "everything" if role == "admin" else ", ".join(auth.scope_texts(record))
    typer.echo(f"token {token_id} ({role}: {held}): store it now, it is not shown again", err=True)


@token_app.command("list")
def list_tokens(db: DbOption = None) -> None:
    """List tokens by id, role, scope and state (never the tokens themselves)."""
    with open_db(db, create=False) as store:
        tokens = auth.list_tokens(store)
        if not tokens:
            typer.echo("no tokens: `vkc token create` makes one", err=True)
            return
        typer.echo(f"{'ID':<8}  {'ROLE':<6}  {'SCOPES':<40}  {'STATE':<28}  NAME")
        for t in tokens:
            state = f"revoked {t['revoked'][:19]}" if t["revoked"] else f"until {t['expires'][:10]}" if t.get("expires") else "active"
            held = f"user {t['user']}" if t.get("user") else "*" if t["role"] == "admin" else " ".join(auth.scope_texts(t))
            typer.echo(f"{t['id']}  {t['role']:<6}  {held:<40}  {state:<28}  {t['name']}")


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (the 8 hex digits after 'vkc_')."), db: DbOption = None) -> None:
    """Revoke a token at once; requests carrying it get 401 from then on."""
    with open_db(db, create=False) as store:
        record = auth.revoke_token(store, token_id)
    typer.echo(f"token {record['id']} revoked")
