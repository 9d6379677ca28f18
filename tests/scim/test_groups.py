"""SCIM Groups: their lifecycle, and their members' roles, workspaces and project roles through the mapping."""
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.db import utcnow
from app.orgs.models import OrgMember, WorkspaceMember
from app.orgs.services import create_workspace, owner_of
from app.projects.models import ProjectMember
from app.security.roles import Role
from app.sso.models import GroupMapping, ScimGroup
from app.sso.provisioning import settings_of
from tests.scim.conftest import GROUP_SCHEMA


def group_payload(name, *user_ids, **extra):
    return {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": str(i)} for i in user_ids],
            **extra}


def _role(db, org, user_id):
    return db.session.execute(
        select(OrgMember.role).where(OrgMember.org_id == org.id, OrgMember.user_id == int(user_id))
    ).scalar_one()


def _audit(db, org, action):
    return [e.data for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == org.id, AuditEntry.action == action).order_by(AuditEntry.id)
    ).scalars()]


def _workspace_ids(db, user_id):
    return set(db.session.execute(select(WorkspaceMember.workspace_id)
                                  .where(WorkspaceMember.user_id == int(user_id))).scalars())


def _project_role(db, project, user_id):
    link = db.session.execute(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == int(user_id))).scalar_one_or_none()
    return "absent" if link is None else (link.role.value if link.role else None)


def test_group_lifecycle_and_audit(db, scim, scim_org, make_user):
    ann, ben = make_user("ann@example.com", "Ann", "A"), make_user("ben@example.com")
    response = scim.post("Groups", group_payload("Editors", ann["id"], externalId="g-ext"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"].startswith("g") and response.headers["Location"].endswith(f"/Groups/{body['id']}")
    assert body["displayName"] == "Editors" and body["externalId"] == "g-ext"
    assert body["members"] == [{"value": ann["id"], "$ref": f"http://localhost/scim/v2/Users/{ann['id']}",
                                "display": "Ann A"}]
    url = f"Groups/{body['id']}"
    # the user shows the group it is in
    assert scim.get(f"Users/{ann['id']}").get_json()["groups"] == [
        {"value": body["id"], "$ref": f"http://localhost/scim/v2/Groups/{body['id']}", "display": "Editors"}]

    added = scim.patch(url, [{"op": "add", "path": "members", "value": [{"value": ben["id"]}]}]).get_json()
    assert {m["value"] for m in added["members"]} == {ann["id"], ben["id"]}

    removed = scim.patch(url, [{"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}]).get_json()
    assert [m["value"] for m in removed["members"]] == [ben["id"]]

    renamed = scim.patch(url, [{"op": "replace", "path": "displayName", "value": "Writers"}]).get_json()
    assert renamed["displayName"] == "Writers"

    emptied = scim.patch(url, [{"op": "remove", "path": "members"}]).get_json()
    assert "members" not in emptied

    replaced = scim.put(url, group_payload("Writers", ann["id"], ben["id"])).get_json()
    assert len(replaced["members"]) == 2 and "externalId" not in replaced

    assert scim.delete(url).status_code == 204
    assert scim.get(url).status_code == 404
    assert db.session.execute(ScimGroup.for_org(scim_org)).first() is None

    assert _audit(db, scim_org, "scim.group_created")[0]["members"] == ["ann@example.com"]
    updates = _audit(db, scim_org, "scim.group_updated")
    assert {"added": ["ben@example.com"], "removed": []} in updates
    assert {"added": [], "removed": ["ann@example.com"]} in updates
    assert any(u.get("after", {}).get("name") == "Writers" for u in updates)
    assert _audit(db, scim_org, "scim.group_deleted")[0]["name"] == "Writers"


def test_group_names_are_unique_and_members_must_be_live_members(scim, make_user, people):
    scim.post("Groups", group_payload("Staff"))
    duplicate = scim.post("Groups", group_payload("staff"))
    assert duplicate.status_code == 409 and duplicate.get_json()["scimType"] == "uniqueness"

    stranger = scim.post("Groups", group_payload("Others", people["annotator"].id))
    assert stranger.status_code == 400 and "No user" in stranger.get_json()["detail"]

    other = scim.post("Groups", group_payload("Third")).get_json()
    renamed = scim.patch(f"Groups/{other['id']}", [{"op": "replace", "path": "displayName", "value": "STAFF"}])
    assert renamed.status_code == 409
    assert scim.get("Groups/42").status_code == 404 and scim.get("Groups/gx").status_code == 404


def test_groups_drive_role_workspaces_and_project_roles(db, scim, scim_org, make_user, create_project):
    owner = owner_of(scim_org).user
    workspace = create_workspace(owner, scim_org, "Labelling")
    project = create_project(scim_org, owner, workspace=workspace)
    db.session.add_all([
        GroupMapping(org_id=scim_org.id, group_name="Labellers", kind="role", role=Role.ANNOTATOR),
        GroupMapping(org_id=scim_org.id, group_name="Leads", kind="role", role=Role.MANAGER),
        GroupMapping(org_id=scim_org.id, group_name="Labellers", kind="workspace", workspace_id=workspace.id),
        GroupMapping(org_id=scim_org.id, group_name="Leads", kind="project", project_id=project.id,
                     project_role="reviewer"),
    ])
    db.session.commit()
    person = make_user("pat@example.com")
    assert _role(db, scim_org, person["id"]) == Role.PENDING

    labellers = scim.post("Groups", group_payload("Labellers", person["id"])).get_json()
    assert _role(db, scim_org, person["id"]) == Role.ANNOTATOR
    assert workspace.id in _workspace_ids(db, person["id"])
    assert _project_role(db, project, person["id"]) == "absent"

    leads = scim.post("Groups", group_payload("Leads")).get_json()
    scim.patch(f"Groups/{leads['id']}", [{"op": "add", "path": "members", "value": [{"value": person["id"]}]}])
    assert _role(db, scim_org, person["id"]) == Role.MANAGER  # the highest role wins
    assert _project_role(db, project, person["id"]) == "reviewer"

    scim.patch(f"Groups/{leads['id']}", [{"op": "remove", "path": f'members[value eq "{person["id"]}"]'}])
    assert _role(db, scim_org, person["id"]) == Role.ANNOTATOR
    assert _project_role(db, project, person["id"]) == "absent"

    scim.delete(f"Groups/{labellers['id']}")
    # no role group left: the role stays, mapped workspaces go
    assert _role(db, scim_org, person["id"]) == Role.ANNOTATOR
    assert workspace.id not in _workspace_ids(db, person["id"])

    # deactivated by the identity provider: a role group does not bring the person back
    scim.patch(f"Users/{person['id']}", [{"op": "replace", "path": "active", "value": False}])
    scim.patch(f"Groups/{leads['id']}", [{"op": "add", "path": "members", "value": [{"value": person["id"]}]}])
    assert _role(db, scim_org, person["id"]) == Role.DEACTIVATED
    # reactivated: the groups give the role back
    scim.patch(f"Users/{person['id']}", [{"op": "replace", "path": "active", "value": True}])
    assert _role(db, scim_org, person["id"]) == Role.MANAGER
    assert _project_role(db, project, person["id"]) == "reviewer"


def test_groups_leave_roles_alone_when_they_are_managed_in_tessera(db, scim, scim_org, make_user):
    db.session.add(GroupMapping(org_id=scim_org.id, group_name="Admins", kind="role", role=Role.ADMIN))
    settings_of(scim_org).manage_roles_in_tessera = True
    db.session.commit()
    person = make_user("quinn@example.com")
    response = scim.post("Groups", group_payload("Admins", person["id"]))
    assert response.status_code == 201
    assert _role(db, scim_org, person["id"]) == Role.PENDING


def test_a_refused_role_refuses_the_whole_request(db, scim, scim_org, make_user, create_org, add_member):
    """The plugins rule: a person active elsewhere cannot get a working role in an organization with plugins."""
    db.session.add(GroupMapping(org_id=scim_org.id, group_name="Labellers", kind="role", role=Role.ANNOTATOR))
    scim_org.plugins_enabled_at = utcnow()
    db.session.commit()
    person = make_user("rae@example.com")
    add_member(create_org(), Role.ANNOTATOR, db.session.get(User, int(person["id"])))

    response = scim.post("Groups", group_payload("Labellers", person["id"]))
    assert response.status_code == 400
    assert "Plugins run code" in response.get_json()["detail"]
    assert db.session.execute(ScimGroup.for_org(scim_org)).first() is None
    assert _role(db, scim_org, person["id"]) == Role.PENDING
    assert not _audit(db, scim_org, "scim.group_created")


def test_members_removed_by_value_as_entra_sends_them(scim, make_user):
    one, two = make_user("uma@example.com"), make_user("vic@example.com")
    group = scim.post("Groups", group_payload("Pair", one["id"], two["id"])).get_json()
    response = scim.patch(f"Groups/{group['id']}", [{"op": "Remove", "path": "members",
                                                     "value": [{"value": one["id"]}]}])
    assert response.status_code == 200
    assert [m["value"] for m in response.get_json()["members"]] == [two["id"]]


def test_deleting_a_user_takes_them_out_of_groups(db, scim, make_user):
    person, other = make_user("sam@example.com"), make_user("tia@example.com")
    group = scim.post("Groups", group_payload("Team", person["id"], other["id"])).get_json()
    scim.delete(f"Users/{person['id']}")
    assert [m["value"] for m in scim.get(f"Groups/{group['id']}").get_json()["members"]] == [other["id"]]

