"""``vkc user``: people who sign in, their roles and what each role is on (see :mod:`vkc.auth.users`)."""

from __future__ import annotations

import sys

import typer

from vkc.auth import component_scopes, second_factor, users
from vkc.cli.common import DbOption, open_db, print_json
from vkc.errors import InputError
from vkc.permissions import ANY

user_app = typer.Typer(help="Users and their grants: viewer, editor, verifier, admin on a collection, component or province.", no_args_is_help=True)
mfa_app = typer.Typer(help="A user's second factor: one-time codes from an authenticator app (TOTP), needed by admins to sign in to the portal.", no_args_is_help=True)
user_app.add_typer(mfa_app, name="mfa")


def _target(collection: str | None, component: str | None, province: str | None) -> str:
    given = [t for t in (f"collection:{collection}" if collection else None, f"component:{component}" if component else None,
                         f"province:{province}" if province else None) if t]
    if len(given) > 1:
        raise InputError("a grant is on one of --collection, --component or --province, not several", field="target")
    return given[0] if given else ANY


@user_app.command("add")
def add(
    name: str = typer.Argument(..., help="The sign-in name: lower-case letters, digits and . _ @ -."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input (one line); without it the user signs in with tokens only."),
    display_name: str = typer.Option("", "--display-name", help="The name shown in the portal."),
    db: DbOption = None,
) -> None:
    """Add a user, with no grants yet."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with open_db(db) as store:
        print_json(users.add_user(store, name, password=password, display_name=display_name))


@user_app.command("list")
def list_users(db: DbOption = None) -> None:
    """Every user with their grants (never a password hash)."""
    with open_db(db, create=False) as store:
        print_json(users.list_users(store))


@user_app.command("disable")
def disable(name: str = typer.Argument(..., help="The user."), db: DbOption = None) -> None:
    """Disable a user at once: their tokens and sign-ins are refused from the next request."""
    with open_db(db, create=False) as store:
        print_json(users.set_disabled(store, name, True))


@user_app.command("enable")
def enable(name: str = typer.Argument(..., help="The user."), db: DbOption = None) -> None:
    """Enable a disabled user again."""
    with open_db(db, create=False) as store:
        print_json(users.set_disabled(store, name, False))


@user_app.command("password")
def password(name: str = typer.Argument(..., help="The user."), db: DbOption = None) -> None:
    """Set a user's password, read from standard input (one line)."""
    with open_db(db, create=False) as store:
        users.set_password(store, name, sys.stdin.readline().rstrip("\r\n"))
    typer.echo(f"password of {name} set", err=True)


@user_app.command("grant")
def grant(
    name: str = typer.Argument(..., help="The user."),
    role: str = typer.Option(..., "--role", help="viewer, editor, verifier or admin."),
    collection: str | None = typer.Option(None, "--collection", help="On one feature collection."),
    component: str | None = typer.Option(None, "--component", help="On what a component holds (e.g. sensors, alerts)."),
    province: str | None = typer.Option(None, "--province", help="On a province as valid on a date: GSO_CODE@YYYY-MM-DD (today's units if no date)."),
    db: DbOption = None,
) -> None:
    """Give a user a role on a target (everything when none is given)."""
    with open_db(db, create=False) as store:
        print_json(users.grant(store, name, role, _target(collection, component, _dated(province)), components=component_scopes(store)))


@user_app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The user."),
    role: str = typer.Option(..., "--role", help="The role to take back."),
    collection: str | None = typer.Option(None, "--collection"),
    component: str | None = typer.Option(None, "--component"),
    province: str | None = typer.Option(None, "--province", help="GSO_CODE@YYYY-MM-DD, as granted."),
    db: DbOption = None,
) -> None:
    """Take a grant back; it stops at the user's next request."""
    with open_db(db, create=False) as store:
        print_json(users.revoke(store, name, role, _target(collection, component, province)))


def _dated(province: str | None) -> str | None:
    if province is None or "@" in province:
        return province
    from datetime import date

    return f"{province}@{date.today().isoformat()}"


@mfa_app.command("enrol")
def mfa_enrol(name: str = typer.Argument(..., help="The user."), db: DbOption = None) -> None:
    """Make a one-time-code secret for a user: prints its otpauth URI (for the app's QR scanner) and the secret, this once."""
    with open_db(db, create=False) as store:
        made = second_factor.enrol(store, name)
    typer.echo(made["uri"])
    typer.echo(f"secret {made['secret']}: enter it in the app, or the URI above; then `vkc user mfa confirm {name} CODE`", err=True)


@mfa_app.command("confirm")
def mfa_confirm(name: str = typer.Argument(..., help="The user."), code: str = typer.Argument(..., help="The app's current 6-digit code."), db: DbOption = None) -> None:
    """Confirm an enrolment with a code from the app; from now on the user's password sign-ins need one."""
    with open_db(db, create=False) as store:
        print_json(second_factor.confirm(store, name, code))


@mfa_app.command("remove")
def mfa_remove(name: str = typer.Argument(..., help="The user."), db: DbOption = None) -> None:
    """Remove a user's second factor (a lost phone); they enrol again."""
    with open_db(db, create=False) as store:
        print_json(second_factor.remove(store, name))
