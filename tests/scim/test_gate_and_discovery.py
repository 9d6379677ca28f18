"""The bearer-token gate on every /scim/v2 route, and the discovery endpoints."""
import pytest

from app.orgs.services import owner_of
from app.scim.tokens import create_token, revoke_token, tokens_of
from tests.scim.conftest import ScimClient, user_payload

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def _scim_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/scim/v2")]


def _sample_url(rule):
    return rule.rule.replace("<ident>", "1").replace("<path:unknown>", "anything/else")


def test_every_scim_route_answers_401_without_a_token(app, client):
    rules = _scim_rules(app)
    assert {r.endpoint for r in rules} >= {"scim.list_users", "scim.create_group", "scim.service_provider_config",
                                           "scim.search_all", "scim.unknown"}
    checked = 0
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_sample_url(rule), method=method, json={}, csrf=False)
            assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code}"
            body = response.get_json()
            assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == "401", rule.rule
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz",
                                    "Bearer scim_not-a-real-token"])
def test_missing_or_malformed_tokens_are_refused(client, scim_token, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert response.status_code == 401 and response.mimetype == "application/scim+json"


def test_a_revoked_token_is_refused(db, client, scim_org, scim_token):
    scim = ScimClient(client, scim_token)
    assert scim.get("Users").status_code == 200
    (row,) = tokens_of(scim_org)
    revoke_token(owner_of(scim_org).user, scim_org, row)
    db.session.commit()
    assert scim.get("Users").status_code == 401


def test_another_organizations_token_sees_none_of_these_people(db, client, scim, make_user, create_org):
    ours = make_user("olga@example.com")
    group = scim.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                 "displayName": "Ours", "members": [{"value": ours["id"]}]}).get_json()
    other_org = create_org(name="Elsewhere")
    _row, token = create_token(owner_of(other_org).user, other_org, "Their identity provider")
    db.session.commit()
    theirs = ScimClient(client, token)

    assert theirs.get(f"Users/{ours['id']}").status_code == 404
    assert theirs.put(f"Users/{ours['id']}", user_payload("olga@example.com")).status_code == 404
    assert theirs.patch(f"Users/{ours['id']}", [{"op": "replace", "path": "active", "value": False}]).status_code \
        == 404
    assert theirs.delete(f"Users/{ours['id']}").status_code == 404
    assert theirs.get(f"Groups/{group['id']}").status_code == 404
    assert theirs.delete(f"Groups/{group['id']}").status_code == 404
    listed = theirs.get("Users").get_json()
    assert ours["id"] not in {r["id"] for r in listed["Resources"]}
    # a group of theirs cannot take in our people either
    refused = theirs.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "Grab", "members": [{"value": ours["id"]}]})
    assert refused.status_code == 400
    assert scim.get(f"Users/{ours['id']}").get_json()["active"] is True


def test_service_provider_config(scim):
    response = scim.get("ServiceProviderConfig")
    assert response.status_code == 200 and response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["patch"] == {"supported": True} and body["filter"]["supported"] is True
    assert body["bulk"]["supported"] is False and body["etag"] == {"supported": False}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert scim.post("ServiceProviderConfig", {}).status_code == 405


def test_resource_types(scim):
    body = scim.get("ResourceTypes").get_json()
    assert body["totalResults"] == 2
    assert {(r["id"], r["endpoint"]) for r in body["Resources"]} == {("User", "/Users"), ("Group", "/Groups")}
    user = scim.get("ResourceTypes/User").get_json()
    assert user["schema"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert user["meta"]["location"].endswith("/scim/v2/ResourceTypes/User")
    missing = scim.get("ResourceTypes/Device")
    assert missing.status_code == 404 and missing.get_json()["schemas"] == [ERROR_SCHEMA]


def _attributes(schema):
    found = set()
    for attribute in schema["attributes"]:
        found.add(attribute["name"])
        found.update(f"{attribute['name']}.{sub['name']}" for sub in attribute.get("subAttributes") or [])
    return found


def test_schemas_publish_only_what_is_stored(scim):
    body = scim.get("Schemas").get_json()
    by_id = {s["id"]: s for s in body["Resources"]}
    user = by_id["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert _attributes(user) == {
        "userName", "name", "name.givenName", "name.familyName", "name.formatted", "displayName", "active",
        "emails", "emails.value", "emails.type", "groups", "groups.value", "groups.$ref", "groups.display"}
    groups = next(a for a in user["attributes"] if a["name"] == "groups")
    assert groups["mutability"] == "readOnly"
    group = by_id["urn:ietf:params:scim:schemas:core:2.0:Group"]
    assert _attributes(group) == {"displayName", "members", "members.value", "members.$ref", "members.display"}
    one = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").get_json()
    assert one["name"] == "Group"
    assert scim.get("Schemas/urn:nothing").status_code == 404
    assert scim.delete("Schemas").status_code == 405


def test_unknown_paths_and_methods_answer_scim_errors(scim):
    missing = scim.get("Devices/1")
    assert missing.status_code == 404 and missing.get_json()["schemas"] == [ERROR_SCHEMA]
    wrong_method = scim.put("Users", {})
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]
    not_json = scim.client.post("/scim/v2/Users", data="{not json", headers=scim.headers,
                                content_type="application/scim+json")
    assert not_json.status_code == 400 and not_json.get_json()["scimType"] == "invalidSyntax"
