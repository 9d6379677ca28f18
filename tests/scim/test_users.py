"""SCIM Users: creation, reading, replacement, PATCH, deactivation and deletion of memberships."""
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import AuthIdentity, User
from app.orgs.models import OrgMember
from app.orgs.services import member_of, owner_of
from app.security.roles import Role
from app.tasks.models import Annotation, Task
from tests.scim.conftest import USER_SCHEMA, user_payload


def _member(db, org, user_id):
    return db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == int(user_id))
    ).scalar_one()


def _actions(db, org):
    return [e.action for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == org.id).order_by(AuditEntry.id)).scalars()]


def test_create_makes_a_passwordless_account_and_a_pending_membership(db, scim, scim_org):
    response = scim.post("Users", user_payload("Ada.Lovelace@Example.com", "Ada", "Lovelace", externalId="idp-1"))

    assert response.status_code == 201
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["meta"]["resourceType"] == "User" and body["meta"]["created"] and body["meta"]["lastModified"]
    assert body["userName"] == "Ada.Lovelace@Example.com"
    assert body["emails"] == [{"value": "ada.lovelace@example.com", "type": "work"}]
    assert body["name"] == {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"}
    assert body["displayName"] == "Ada Lovelace" and body["active"] is True and body["externalId"] == "idp-1"
    user = db.session.get(User, int(body["id"]))
    assert user.email == "ada.lovelace@example.com" and user.password_hash is None
    member = _member(db, scim_org, body["id"])
    assert member.role == Role.PENDING and member.external_id == "idp-1"
    assert {"user.created", "member.added", "sso.identity_linked"} <= set(_actions(db, scim_org))


def test_create_inactive_is_deactivated_and_the_email_defaults_to_the_user_name(db, scim, scim_org):
    payload = {"schemas": [USER_SCHEMA], "userName": "grace@example.com", "active": False}
    body = scim.post("Users", payload).get_json()
    assert body["active"] is False and body["emails"] == [{"value": "grace@example.com", "type": "work"}]
    assert _member(db, scim_org, body["id"]).role == Role.DEACTIVATED


def test_a_user_name_that_is_no_address_needs_a_work_email(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "grace"})
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert "e-mail" in response.get_json()["detail"]

    created = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "grace",
                                  "emails": [{"value": "grace@example.com", "type": "work"}]})
    assert created.status_code == 201 and created.get_json()["userName"] == "grace"


def test_user_name_is_unique_without_regard_to_case(db, scim, make_user):
    make_user("bob@example.com")
    response = scim.post("Users", user_payload("BOB@example.com"))
    assert response.status_code == 409
    body = response.get_json()
    assert body["scimType"] == "uniqueness" and body["status"] == "409"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_an_address_already_in_the_organization_is_a_conflict(scim, scim_org, add_member, create_user):
    add_member(scim_org, Role.ANNOTATOR, create_user("carol@example.com"))
    response = scim.post("Users", user_payload("carol-idp", emails=[{"value": "carol@example.com"}]))
    assert response.status_code == 409 and response.get_json()["scimType"] == "uniqueness"


def test_an_existing_account_joins_without_a_new_account(db, scim, scim_org, create_user):
    person = create_user("dan@example.com", name="Dan")
    body = scim.post("Users", user_payload("dan@example.com")).get_json()
    assert body["id"] == str(person.id)
    assert member_of(scim_org, person).role == Role.PENDING
    assert db.session.get(User, person.id).password_hash is not None


def test_get_and_list_show_only_this_organizations_live_members(scim, scim_org, make_user, people):
    created = make_user("erin@example.com")
    assert scim.get(f"Users/{created['id']}").get_json()["userName"] == "erin@example.com"
    assert scim.get("Users/999999").status_code == 404
    assert scim.get("Users/not-a-number").get_json()["status"] == "404"
    # a person of another organization is not found here, even by id
    assert scim.get(f"Users/{people['annotator'].id}").status_code == 404
    listed = scim.get("Users").get_json()
    ids = {r["id"] for r in listed["Resources"]}
    assert str(people["annotator"].id) not in ids and created["id"] in ids
    assert str(owner_of(scim_org).user_id) in ids


def test_put_replaces_names_external_id_and_user_name(db, scim, scim_org, make_user):
    created = make_user("fay@example.com", "Fay", "Old", externalId="x1")
    payload = user_payload("fay.new-login", "Fay", "New", externalId="x2",
                           emails=[{"value": "fay@example.com", "type": "work"}])
    response = scim.put(f"Users/{created['id']}", payload)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["userName"] == "fay.new-login" and body["externalId"] == "x2"
    assert body["name"] == {"givenName": "Fay", "familyName": "New", "formatted": "Fay New"}
    user = db.session.get(User, int(created["id"]))
    assert (user.first_name, user.last_name, user.name) == ("Fay", "New", "Fay New")
    identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.identifier) == (f"scim:{scim_org.id}", "fay.new-login")
    # PUT leaves out externalId: it is cleared, as a replacement does
    payload.pop("externalId")
    assert scim.put(f"Users/{created['id']}", payload).get_json().get("externalId") is None


def test_patch_without_a_path_deactivates_and_reactivation_waits_for_a_role(db, scim, scim_org, make_user):
    created = make_user("gus@example.com")
    member = _member(db, scim_org, created["id"])
    member.role = Role.ANNOTATOR
    db.session.commit()

    response = scim.patch(f"Users/{created['id']}", [{"op": "replace", "value": {"active": False}}])
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert _member(db, scim_org, created["id"]).role == Role.DEACTIVATED

    response = scim.patch(f"Users/{created['id']}", [{"op": "Replace", "path": "active", "value": True}])
    assert response.get_json()["active"] is True
    assert _member(db, scim_org, created["id"]).role == Role.PENDING
    assert {"member.deactivated", "member.reactivated"} <= set(_actions(db, scim_org))


def test_patch_paths_for_names_emails_and_external_id(db, scim, make_user):
    created = make_user("hal@example.com", "Hal", "Jordan")
    url = f"Users/{created['id']}"

    body = scim.patch(url, [{"op": "replace", "path": "name.givenName", "value": "Harold"}]).get_json()
    assert body["name"]["givenName"] == "Harold" and body["displayName"] == "Harold Jordan"

    body = scim.patch(url, [{"op": "replace", "path": 'emails[type eq "work"].value',
                             "value": "harold@example.com"}]).get_json()
    assert body["emails"] == [{"value": "harold@example.com", "type": "work"}]
    assert db.session.get(User, int(created["id"])).email == "harold@example.com"

    body = scim.patch(url, [{"op": "add", "path": "externalId", "value": "ext-9"},
                            {"op": "add", "value": {"displayName": "Hal J."}}]).get_json()
    assert body["externalId"] == "ext-9" and body["displayName"] == "Hal J."

    body = scim.patch(url, [{"op": "remove", "path": "externalId"}]).get_json()
    assert "externalId" not in body

    refused = scim.patch(url, [{"op": "remove", "path": "userName"}])
    assert refused.status_code == 400 and refused.get_json()["scimType"] == "mutability"
    bad = scim.patch(url, [{"op": "jump", "path": "userName", "value": "x"}])
    assert bad.status_code == 400


def test_patch_refusals_change_nothing(db, scim, scim_org, make_user):
    created = make_user("ivy@example.com", "Ivy", "One")
    url = f"Users/{created['id']}"
    # the second operation is refused, so the first is not kept either
    response = scim.patch(url, [{"op": "replace", "path": "name.givenName", "value": "Changed"},
                                {"op": "replace", "path": 'emails[type eq "work"].value', "value": "not-an-address"}])
    assert response.status_code == 400
    assert db.session.get(User, int(created["id"])).first_name == "Ivy"


def test_email_changes_only_for_accounts_this_organization_alone_holds(db, scim, scim_org, make_user, create_org,
                                                                        add_member, create_user):
    mine = make_user("jo@example.com")
    changed = scim.patch(f"Users/{mine['id']}", [{"op": "replace", "path": "emails", "value": [
        {"value": "jo.new@example.com", "type": "work"}]}])
    assert changed.status_code == 200 and changed.get_json()["emails"][0]["value"] == "jo.new@example.com"

    create_user("taken@example.com")
    taken = scim.patch(f"Users/{mine['id']}", [{"op": "replace", "path": "emails", "value": [
        {"value": "taken@example.com"}]}])
    assert taken.status_code == 409 and taken.get_json()["scimType"] == "uniqueness"

    shared = make_user("kim@example.com")
    add_member(create_org(), Role.ANNOTATOR, db.session.get(User, int(shared["id"])))
    refused = scim.patch(f"Users/{shared['id']}", [{"op": "replace", "path": "emails", "value": [
        {"value": "kim.new@example.com"}]}])
    assert refused.status_code == 400 and refused.get_json()["scimType"] == "mutability"
    assert "other organizations" in refused.get_json()["detail"]
    assert db.session.get(User, int(shared["id"])).email == "kim@example.com"


def test_the_owner_cannot_be_deactivated_or_deleted(db, scim, scim_org):
    owner = owner_of(scim_org)
    url = f"Users/{owner.user_id}"
    assert scim.get(url).status_code == 200

    refused = scim.patch(url, [{"op": "replace", "path": "active", "value": False}])
    assert refused.status_code == 400 and "Owner" in refused.get_json()["detail"]
    deleted = scim.delete(url)
    assert deleted.status_code == 400 and "Owner" in deleted.get_json()["detail"]
    assert owner_of(scim_org).role == Role.OWNER and owner_of(scim_org).deprovisioned_at is None


def test_delete_deprovisions_and_keeps_the_persons_work(db, scim, scim_org, make_user, create_project):
    created = make_user("lee@example.com")
    member = _member(db, scim_org, created["id"])
    member.role = Role.ANNOTATOR
    project = create_project(scim_org, owner_of(scim_org).user)
    task = Task(project_id=project.id, inner_id=1, data={"text": "hello"})
    db.session.add(task)
    db.session.flush()
    annotation = Annotation(task_id=task.id, project_id=project.id, completed_by_id=int(created["id"]),
                            result=[{"value": {"choices": ["yes"]}}])
    db.session.add(annotation)
    db.session.commit()

    response = scim.delete(f"Users/{created['id']}")
    assert response.status_code == 204 and response.data == b""

    assert scim.get(f"Users/{created['id']}").status_code == 404
    assert created["id"] not in {r["id"] for r in scim.get("Users").get_json().get("Resources", [])}
    member = _member(db, scim_org, created["id"])
    assert member.role == Role.DEACTIVATED and member.deprovisioned_at is not None
    kept = db.session.get(Annotation, annotation.id)
    assert kept is not None and kept.completed_by_id == int(created["id"]) and kept.result
    assert "member.deprovisioned" in _actions(db, scim_org)
    assert scim.delete(f"Users/{created['id']}").status_code == 404


def test_a_deleted_member_posted_again_is_provisioned_again(db, scim, scim_org, make_user):
    created = make_user("max@example.com")
    scim.delete(f"Users/{created['id']}")

    again = scim.post("Users", user_payload("max@example.com", "Max", "Again"))
    assert again.status_code == 201
    assert again.get_json()["id"] == created["id"]
    member = _member(db, scim_org, created["id"])
    assert member.deprovisioned_at is None and member.role == Role.PENDING
