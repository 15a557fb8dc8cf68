"""The signed-in visitor's air-quality alerts: their webhook subscriptions, made and cancelled on the page, and each one's deliveries.

The work is the alerts library's (:mod:`vkc.alerts.subscriptions`, the
calls ``/api/alerts`` makes), under the same scope (``alerts:manage``); a
subscription the API would refuse (a private address, a bad condition) is
refused on the form with the same words.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vkc import admin
from vkc.alerts import subscriptions
from vkc.alerts.scopes import MANAGE
from vkc.errors import InputError
from vkc.parsing.numbers import INT64_MAX
from vkc.permissions import Grant
from vkc.portal import i18n
from vkc.portal.account import NO_STORE, posted, to_signin, viewer
from vkc.portal.render import page
from vkc.sensors.db import SensorDb

router = APIRouter()
SubscriptionId = Annotated[int, Path(ge=1, le=INT64_MAX)]


def _list_page(request: Request, grant: Grant, status: int = 200, *, values: dict[str, str] | None = None, error: str = "", made: dict[str, Any] | None = None) -> HTMLResponse:
    everyone = request.query_params.get("all") == "1"
    db = SensorDb(request.app.state.store)
    listed = subscriptions.listing(db, made_by=None if everyone else grant.actor)
    language = i18n.Language.of(request)
    provinces = sorted(((u.gso_code, language.place_name(u.as_dict())) for u in admin.units(on=date.today())), key=lambda p: p[1])
    context = {
        "subscriptions": listed, "everyone": everyone, "may_manage": grant.allows(MANAGE), "provinces": provinces,
        "values": values or {"index": "vn", "above": "150"}, "error": error, "made": made,
    }
    return page(request, "alerts.html", context, status_code=status, headers=NO_STORE)


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts(request: Request) -> Response:
    grant = viewer(request)
    if grant is None:
        return to_signin(request)
    return _list_page(request, grant, 200 if grant.allows(MANAGE) else 403)


def condition_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The subscription's condition from the form's fields (checked again by the library)."""
    text = form.get("above", "").strip()
    try:
        above = float(text)
    except ValueError:
        raise InputError(f"above: a number from 0 to 500, not {text!r}", field="above") from None
    condition: dict[str, Any] = {"index": form.get("index", "vn"), "above": above}
    if form.get("province"):
        condition["province"] = form["province"]
    stations = [s.strip() for s in form.get("stations", "").split(",") if s.strip()]
    if stations:
        condition["stations"] = stations
    return condition


@router.post("/alerts", include_in_schema=False)
async def subscribe(request: Request) -> Response:
    store, grant, form = await posted(request)
    grant.require(MANAGE)
    values = {k: form.get(k, "") for k in ("url", "index", "above", "province", "stations", "description")}
    try:
        condition = condition_from_form(form)
        made = await run_in_threadpool(
            lambda: subscriptions.create(SensorDb(store), form.get("url", "").strip(), condition, form.get("description", "").strip(), by=grant)
        )
    except InputError as exc:
        return _list_page(request, grant, exc.status, values=values, error=exc.message)
    return _list_page(request, grant, 201, made=made)


@router.get("/alerts/{subscription_id}", response_class=HTMLResponse, include_in_schema=False)
def subscription(request: Request, subscription_id: SubscriptionId) -> Response:
    grant = viewer(request)
    if grant is None:
        return to_signin(request)
    grant.require(MANAGE)
    db = SensorDb(request.app.state.store)
    context = {"subscription": subscriptions.get(db, subscription_id), "events": subscriptions.deliveries(db, subscription_id, limit=200)}
    return page(request, "alert.html", context, headers=NO_STORE)


@router.post("/alerts/{subscription_id}/cancel", include_in_schema=False)
async def cancel(request: Request, subscription_id: SubscriptionId) -> Response:
    store, grant, _ = await posted(request)
    grant.require(MANAGE)
    await run_in_threadpool(lambda: subscriptions.cancel(SensorDb(store), subscription_id, by=grant))
    return RedirectResponse(f"/alerts/{subscription_id}", status_code=303)
