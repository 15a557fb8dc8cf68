"""Users: argon2id passwords, grants on collections and components, tokens that act with the user's grants as they are now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.auth import users
from vkc.config import Settings
from vkc.errors import ConflictError, InputError
from vkc.store import open_store
from vkc.web import create_app

ITEMS = "/ogc/collections/{}/items"


def feature(fid: str) -> dict:
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"name": "x", "rank": 1}}


@pytest.fixture
def api(seeded_url):
    with TestClient(create_app(Settings(database=seeded_url))) as client:
        yield client


def token_for(store_url: str, name: str, **grants) -> str:
    with open_store(store_url) as store:
        users.add_user(store, name)
        for role, target in grants.items():
            users.grant(store, name, role.rstrip("_"), target, components=auth.component_scopes(store))
        return auth.create_user_token(store, name)[1]


def test_passwords_are_kept_as_argon2id_hashes_and_checked(seeded_url, vkc):
    r = vkc(["user", "add", "lan.nguyen", "--password-stdin", "--display-name", "Nguyễn Thị Lan", "--db", seeded_url], input="một mật khẩu dài\n")
    assert r.returncode == 0, r.stderr
    assert '"password"' not in r.stdout and "argon2" not in r.stdout and '"has_password": true' in r.stdout
    with open_store(seeded_url) as store:
        stored = store.get_record(users.KIND, "lan.nguyen")
        assert stored["password"].startswith("$argon2id$") and "một mật khẩu dài" not in str(stored)
        assert users.check_credentials(store, "lan.nguyen", "một mật khẩu dài")["display_name"] == "Nguyễn Thị Lan"
        assert users.check_credentials(store, "lan.nguyen", "wrong password!!") is None
        assert users.check_credentials(store, "nobody", "một mật khẩu dài") is None
        users.set_disabled(store, "lan.nguyen", True)
        assert users.check_credentials(store, "lan.nguyen", "một mật khẩu dài") is None
        with pytest.raises(ConflictError):
            users.add_user(store, "lan.nguyen")
        with pytest.raises(InputError, match="12 to 1024 characters"):
            users.add_user(store, "short", password="abc")
        with pytest.raises(InputError, match="user name 'Bad Name'"):
            users.add_user(store, "Bad Name")


def test_a_collection_editor_writes_that_collection_only(api, seeded_url):
    token = token_for(seeded_url, "hn.editor", editor="collection:places")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.post(ITEMS.format("places"), json=feature("u1"), headers=headers).status_code == 201
    r = api.post(ITEMS.format("zones"), json=feature("u2"), headers=headers)
    assert r.status_code == 403 and "user hn.editor does not hold the scope features:zones" in r.json()["detail"]
    r = api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers=headers)
    assert r.status_code == 403 and "sensorthings" in r.json()["detail"]


def test_grants_and_disabling_take_effect_at_the_next_request(api, seeded_url):
    token = token_for(seeded_url, "sensor.ops", editor="component:sensors")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers=headers).status_code == 201
    with open_store(seeded_url) as store:
        users.revoke(store, "sensor.ops", "editor", "component:sensors")
    assert api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers=headers).status_code == 403
    with open_store(seeded_url) as store:
        users.grant(store, "sensor.ops", "editor", "component:sensors", components=auth.component_scopes(store))
        users.set_disabled(store, "sensor.ops", True)
    r = api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers=headers)
    assert r.status_code == 401 and r.json()["detail"] == "the token's user is disabled"


def test_viewers_and_verifiers_write_nothing_and_an_admin_everything(api, seeded_url):
    viewer = token_for(seeded_url, "viewer.one", viewer="*", verifier="collection:places")
    admin = token_for(seeded_url, "admin.one", admin="*")
    assert api.post(ITEMS.format("places"), json=feature("v1"), headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    assert api.post(ITEMS.format("places"), json=feature("a1"), headers={"Authorization": f"Bearer {admin}"}).status_code == 201
    assert api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers={"Authorization": f"Bearer {admin}"}).status_code == 201


def test_user_tokens_expire(api, seeded_url):
    token = token_for(seeded_url, "short.lived", editor="*")
    with open_store(seeded_url) as store:
        key, record = next((k, v) for k, v in store.records(auth.KIND) if v.get("user") == "short.lived")
        store.put_record(auth.KIND, key, {**record, "expires": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    r = api.post(ITEMS.format("places"), json=feature("e1"), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["detail"] == "the token has expired"


@pytest.mark.parametrize(
    ("role", "target", "words"),
    [
        ("owner", "*", "unknown role 'owner'"),
        ("admin", "collection:places", "admin is a role on everything"),
        ("editor", "province:01", "write the GSO code and the date"),
        ("editor", "province:01@2025-02-30", "is not a date"),
        ("editor", "component:nothing", "no component 'nothing' declares scopes"),
        ("editor", "street:hang-bac", "one of collection:<name>"),
    ],
)
def test_bad_grants_name_the_problem(seeded_url, role, target, words):
    with open_store(seeded_url) as store:
        users.add_user(store, "g.test")
        with pytest.raises(InputError, match=words):
            users.grant(store, "g.test", role, target, components=auth.component_scopes(store))
        assert users.get_user(store, "g.test")["grants"] == []


def test_the_cli_grants_lists_and_makes_a_users_token(vkc, seeded_url):
    assert vkc(["user", "add", "dn.editor", "--db", seeded_url]).returncode == 0
    r = vkc(["user", "grant", "dn.editor", "--role", "editor", "--province", "48@2025-07-01", "--db", seeded_url])
    assert r.returncode == 0 and '"province:48@2025-07-01"' in r.stdout, r.stderr
    r = vkc(["user", "grant", "dn.editor", "--role", "editor", "--collection", "places", "--component", "sensors", "--db", seeded_url])
    assert r.returncode == 1 and "not several" in r.stderr
    r = vkc(["token", "create", "--user", "dn.editor", "--expires-days", "30", "--db", seeded_url])
    assert r.returncode == 0 and r.stdout.startswith("vkc_") and "for user dn.editor" in r.stderr
    assert "user dn.editor" in vkc(["token", "list", "--db", seeded_url]).stdout
    assert vkc(["token", "create", "--db", seeded_url]).returncode == 1


HOAN_KIEM = [105.852, 21.028]  # Hà Nội (GSO 01)
HAI_CHAU = [108.221, 16.068]  # Đà Nẵng (GSO 48)


def placed(fid: str, lonlat: list[float]) -> dict:
    return {**feature(fid), "geometry": {"type": "Point", "coordinates": lonlat}}


def test_a_province_editor_writes_what_lies_in_the_province_only(api, seeded_url):
    """An editor of Đà Nẵng must not touch Hà Nội's features: not create there, not move one in, not delete one."""
    today = datetime.now(UTC).date().isoformat()
    token = token_for(seeded_url, "dn.editor", editor=f"province:48@{today}")
    admin = token_for(seeded_url, "root", admin="*")
    headers = {"Authorization": f"Bearer {token}"}
    items = ITEMS.format("places")
    assert api.post(items, json=placed("dn1", HAI_CHAU), headers=headers).status_code == 201
    r = api.post(items, json=placed("hn1", HOAN_KIEM), headers=headers)
    assert r.status_code == 403 and "does not lie in a province held today" in r.json()["detail"]
    assert api.post(items, json=placed("hn1", HOAN_KIEM), headers={"Authorization": f"Bearer {admin}"}).status_code == 201
    tag = api.get(f"{items}/hn1").headers["etag"]
    r = api.put(f"{items}/hn1", json=placed("hn1", HAI_CHAU), headers={**headers, "If-Match": tag})  # moving Hà Nội's feature into Đà Nẵng
    assert r.status_code == 403
    assert api.delete(f"{items}/hn1", headers={**headers, "If-Match": tag}).status_code == 403
    tag = api.get(f"{items}/dn1").headers["etag"]
    r = api.patch(f"{items}/dn1", json={"geometry": {"type": "Point", "coordinates": HOAN_KIEM}}, headers={**headers, "If-Match": tag})
    assert r.status_code == 403  # nor moving its own out
    assert api.patch(f"{items}/dn1", json={"properties": {"rank": 2}}, headers={**headers, "If-Match": tag}).status_code == 200
    assert api.post("/sta/v1.1/Things", json={"name": "t", "description": "d"}, headers=headers).status_code == 403


def test_a_grant_on_a_unit_ends_with_the_unit(api, seeded_url):
    """Hà Nam (GSO 35) ended on 2025-06-30: a grant on it covers nothing today, not even where Ninh Bình now is."""
    token = token_for(seeded_url, "ha.nam", editor="province:35@2024-01-01")
    phu_ly = [105.918, 20.541]  # Phủ Lý, Hà Nam's capital until the reform, now in Ninh Bình
    r = api.post(ITEMS.format("places"), json=placed("pl1", phu_ly), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403


@pytest.mark.parametrize("password", ["passwordpassword", "123456789012", "iloveyou1234", "Password1234", "qwertyuiopasdf"])
def test_passwords_guessed_first_are_refused_with_the_reason(seeded_url, password: str) -> None:
    with open_store(seeded_url) as store:
        with pytest.raises(InputError, match="that password is too easy to guess") as refused:
            users.add_user(store, "lan.nguyen", password=password)
        assert refused.value.detail["field"] == "password" and store.get_record(users.KIND, "lan.nguyen") is None
        users.add_user(store, "lan.nguyen")
        with pytest.raises(InputError, match="too easy to guess"):
            users.set_password(store, "lan.nguyen", password)
        users.set_password(store, "lan.nguyen", "một mật khẩu dài")  # a few words, in any language
