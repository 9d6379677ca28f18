"""The permission matrix: every organization route, every kind of caller, with and without htmx.

Each route is called with input that passes the gate but is refused by validation where one can be, so
that a granted call shows as 422 and changes nothing, while a refused one shows as 403/404/login. The
expected status comes from the permission table, except where a route lists its own answers.
"""
import pytest
from flask import url_for
from sqlalchemy import select

from app.orgs.models import OrgMember, Workspace
from app.orgs.services import invite_by_email
from app.security.permissions import PERMISSIONS
from tests.conftest import hx

CALLERS = ("owner", "admin", "manager", "reviewer", "annotator", "pending", "deactivated", "outsider", "anonymous")
WORKING = ("owner", "admin", "manager", "reviewer", "annotator")

#: endpoint -> (method, form data, status when granted: int or (plain, htmx), {caller: status} overrides)
ORG_ROUTES = {
    "orgs.home": ("GET", None, 200, {}),
    "orgs.pending": ("GET", None, 404, {"pending": 200, "outsider": 404, "deactivated": 404}),
    # members
    "orgs.members": ("GET", None, 200, {}),
    "orgs.member_role": ("POST", {"role": "no-such-role"}, 422, {}),
    "orgs.members_bulk_role": ("POST", {"role": "no-such-role"}, 422, {}),
    "orgs.invite": ("POST", {"emails": "not an address", "role": "annotator"}, 422, {}),
    "orgs.invitation_revoke": ("POST", {}, (303, 200), {}),
    "orgs.join_link_reset": ("POST", {}, 200, {}),
    # settings
    "orgs.settings": ("GET", None, 200, {}),
    "orgs.transfer_ownership": ("POST", {"member_id": ""}, 422, {}),
    # workspaces: the Default workspace was made by nobody in particular, so only Owner and Admin reach it
    "orgs.workspaces": ("GET", None, 200, {}),
    "orgs.workspace_create": ("POST", {"name": ""}, 422, {}),
    "orgs.workspace": ("GET", None, 200, {"manager": 403, "reviewer": 403, "annotator": 403}),
    "orgs.workspace_rename": ("POST", {"name": ""}, 422, {"manager": 403}),
    "orgs.workspace_member_add": ("POST", {"user_id": ""}, 422, {"manager": 403}),
    "orgs.workspace_member_remove": ("POST", {}, 422, {"manager": 403}),
    "orgs.workspace_delete": ("POST", {}, (303, 200), {"manager": 403}),
    # audit
    "audit.log": ("GET", None, 200, {}),
    "audit.export": ("GET", None, 200, {}),
    "audit.retention": ("POST", {"audit_retention_days": "-5"}, 422, {}),
    # projects: the Manager was added to the project's workspace, the Annotator and Reviewer to the project
    "projects.projects": ("GET", None, 200, {}),
    "projects.project_new": ("GET", None, 200, {}),
    "projects.project_create": ("POST", {"title": ""}, 422, {}),
    "projects.project": ("GET", None, 200, {}),
    "projects.settings": ("GET", None, 200, {}),
    "projects.settings_general_save": ("POST", {"title": ""}, 422, {}),
    "projects.settings_labeling": ("GET", None, 200, {}),
    "projects.settings_labeling_preview": ("POST", {"label_config": "<View>"}, 200, {}),
    "projects.settings_labeling_save": ("POST", {"label_config": "<View><Nope/></View>"}, 422, {}),
    "projects.settings_annotation": ("GET", None, 200, {}),
    "projects.settings_annotation_save": ("POST", {"reservation_minutes": "0"}, 422, {}),
    "projects.settings_quality": ("GET", None, 200, {}),
    "projects.settings_quality_save": ("POST", {"overlap": "0"}, 422, {}),
    "projects.settings_members": ("GET", None, 200, {}),
    "projects.settings_member_add": ("POST", {"user": ""}, 422, {}),
    "projects.settings_member_role": ("POST", {"role": "boss"}, 422, {}),
    "projects.settings_member_remove": ("POST", {}, (303, 200), {}),
    "projects.settings_danger": ("GET", None, 200, {}),
    "projects.project_delete": ("POST", {"confirm": "not the title"}, 422, {}),
    "projects.project_drop_tasks": ("POST", {"drop-confirm": "not the title"}, 422, {}),
    "projects.import_page": ("GET", None, 200, {}),
    "projects.import_upload": ("POST", {}, 422, {}),
    "projects.export_page": ("GET", None, 200, {}),
    "projects.export_download": ("GET", None, 200, {}),
    # data manager: the project does not show it to Annotators; bulk actions with nothing selected are refused
    "datamanager.data": ("GET", None, 200, {"annotator": 403}),
    "datamanager.count": ("GET", None, 200, {"annotator": 403}),
    "datamanager.delete_tasks": ("POST", {}, 422, {}),
    "datamanager.delete_annotations": ("POST", {}, 422, {}),
    "datamanager.assign": ("POST", {}, 422, {}),
    "datamanager.export": ("POST", {}, 422, {}),
    # labeling: the project's one task is answered by the Annotator (overlap 1), so the stream has nothing left
    "labeling.stream": ("GET", None, 200, {}),
    "labeling.submit": ("POST", {"result": '[{"from_name": "nope"}]'}, 422, {}),
    "labeling.update": ("POST", {"result": "[]", "lead_time": "-1"}, 422, {"reviewer": 403}),
    "labeling.skip": ("POST", {"comment": ""}, 422, {}),
    "labeling.save_draft": ("POST", {"result": "not json"}, 422, {}),
    "labeling.history": ("GET", None, 200, {"reviewer": 403}),
    # single sign-on: each change refused after the gate (no metadata, an empty attribute name, a bad domain, no
    # group name, no token name); removing url_args' mapping and revoking its token are granted and done
    "sso_settings.sso": ("GET", None, 200, {}),
    "sso_settings.idp": ("POST", {}, 422, {}),
    "sso_settings.attributes": ("POST", {"attr_email": ""}, 422, {}),
    "sso_settings.policy": ("POST", {"email_domains": "not a domain"}, 422, {}),
    "sso_settings.mapping_add": ("POST", {"kind": "role", "group_name": ""}, 422, {}),
    "sso_settings.mapping_delete": ("POST", {}, (303, 200), {}),
    "sso_settings.scim_token_create": ("POST", {"name": ""}, 422, {}),
    "sso_settings.scim_token_revoke": ("POST", {}, (303, 200), {}),
    # plugins: the access request, the organization's switch and permissions
    # no reason, no request named, plugins off and never approved, no choice: each refused (422) after the gate
    "plugin_access.request_access": ("POST", {"reason": ""}, 422, {}),
    "plugin_access.withdraw": ("POST", {}, 422, {}),
    "plugin_access.org_plugins": ("GET", None, 200, {}),
    "plugin_access.switch_off": ("POST", {}, 422, {}),
    "plugin_access.switch_on": ("POST", {}, 422, {}),
    "plugin_access.permissions": ("GET", None, 200, {}),
    # plugins: the project's plugin stack
    # the organization of url_args has plugins off: every change is refused (422) after the gate, so delete too
    "plugins.panel": ("GET", None, 200, {}),
    "plugins.plugin": ("GET", None, 200, {}),
    "plugins.diff": ("GET", None, 200, {}),
    "plugins.create": ("POST", {"title": ""}, 422, {}),
    "plugins.insert": ("POST", {"path": ""}, 422, {}),
    "plugins.save": ("POST", {"code": "", "message": ""}, 422, {}),
    "plugins.revert": ("POST", {"number": "99"}, 422, {}),
    "plugins.rename": ("POST", {"title": ""}, 422, {}),
    "plugins.switch": ("POST", {"enabled": "maybe"}, 422, {}),
    "plugins.move": ("POST", {"direction": "sideways"}, 422, {}),
    "plugins.mode": ("POST", {"mode": "nope"}, 422, {}),
    "plugins.allowlist": ("POST", {"allowlist": "http://insecure.example"}, 422, {}),
    "plugins.delete": ("POST", {}, 422, {}),
    "plugins.testing_frame": ("GET", None, 404, {}),
    # plugins: runtime (no plugin named in the query: 404 once past the gate)
    "plugin_runtime.trusted_code": ("GET", None, 404, {}),
    "plugin_runtime.sandboxed_code": ("GET", None, 404, {}),
}


def _org_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/o/")}


def test_matrix_lists_every_organization_route(app):
    endpoints = _org_endpoints(app)
    assert endpoints - ORG_ROUTES.keys() == set(), "add the new organization routes to ORG_ROUTES"
    assert ORG_ROUTES.keys() - endpoints == set(), "ORG_ROUTES names routes that do not exist"


def _expected(app, endpoint, caller, htmx):
    _, _, granted, overrides = ORG_ROUTES[endpoint]
    if caller in overrides:
        status = overrides[caller]
    else:
        permission = app.view_functions[endpoint].permission
        scope, roles = PERMISSIONS[permission]
        if caller == "anonymous":
            return 401 if htmx else 302
        if caller in ("outsider", "deactivated"):
            return 404
        if caller == "pending":
            return 403 if htmx else 302
        status = granted if scope != "org" or caller in {r.value for r in roles} else 403
    if isinstance(status, tuple):
        status = status[1] if htmx else status[0]
    return status


@pytest.fixture
def url_args(db, people, dummy_org, create_project):
    from app.labeling.services import submit_annotation
    from app.orgs.services import add_workspace_member, create_workspace
    from app.projects.services import add_project_member
    from app.tasks.editing import create_task

    owner = people["owner"]
    member = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == dummy_org.id, OrgMember.user_id == people["annotator"].id)
    ).scalar_one()
    invitation, _ = invite_by_email(owner, dummy_org, "invitee@example.com", "annotator")[0]
    workspace = db.session.execute(select(Workspace).where(Workspace.org_id == dummy_org.id)).scalars().first()
    # the project lives in a workspace of its own, so the Manager's access to it says nothing of Default
    labeling = create_workspace(owner, dummy_org, "Labeling")
    add_workspace_member(owner, dummy_org, labeling, people["manager"])
    project = create_project(dummy_org, owner, title="Sentiment", workspace=labeling, is_published=True,
                             require_skip_comment=True)
    link = add_project_member(owner, project, people["annotator"])
    add_project_member(owner, project, people["reviewer"])
    task = create_task(owner, project, {"text": "Great"})
    annotation = submit_annotation(people["annotator"], project, task, [
        {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}])
    db.session.commit()
    # plugins: one plugin in the project's stack
    from app.plugins.stack import create_plugin

    plugin_id = create_plugin(owner, project, "Check").id
    # single sign-on: a group mapping and a SCIM token
    from app.scim.tokens import create_token
    from app.sso.settings import add_mapping

    mapping_id = add_mapping(owner, dummy_org, "role", "Annotators", role="annotator").id
    token_id = create_token(owner, dummy_org, "Identity provider")[0].id
    db.session.commit()
    return {"plugin_id": plugin_id, "mapping_id": mapping_id, "token_id": token_id,
            "org_slug": dummy_org.slug, "member_id": member.id, "invitation_id": invitation.id,
            "workspace_id": workspace.id, "user_id": people["annotator"].id, "project_id": project.id,
            "link_id": link.id, "task_id": task.id, "annotation_id": annotation.id}


def _url(app, endpoint, url_args):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{k: v for k, v in url_args.items() if k in rule.arguments})


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(ORG_ROUTES))
def test_matrix(app, client_for, people, url_args, endpoint, caller, htmx):
    method, data, _, _ = ORG_ROUTES[endpoint]
    url = _url(app, endpoint, url_args)
    client = client_for(None if caller == "anonymous" else people[caller])
    response = client.open(url, method=method, data=data, headers=hx() if htmx else {})
    body = response.get_data(as_text=True)  # also drains streamed responses
    response.close()
    expected = _expected(app, endpoint, caller, htmx)
    assert response.status_code == expected, (
        f"{caller} {'htmx ' if htmx else ''}{method} {url}: {response.status_code}, expected {expected}\n{body[:300]}"
    )
    if caller == "anonymous" and htmx:
        assert response.headers["HX-Redirect"].startswith("/login?next=")


#: JSON API routes of an organization -> (method, JSON body, status when granted); answers do not vary with htmx
API_ROUTES = {
    "api.org_detail": ("GET", None, 200),
    "api.org_update": ("PATCH", {"title": ""}, 400),
    "api.membership_list": ("GET", None, 200),
    "api.membership_detail": ("GET", None, 200),
    "api.membership_update": ("PATCH", {"role": "no-such-role"}, 400),
    "api.membership_delete": ("DELETE", None, 204),
}


def test_api_matrix_lists_every_organization_api_route(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/api/organizations/<")}
    assert endpoints == API_ROUTES.keys()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(API_ROUTES))
def test_api_matrix(app, client_for, people, dummy_org, endpoint, caller, htmx):
    method, body, granted = API_ROUTES[endpoint]
    url = _url(app, endpoint, {"org_id": dummy_org.id, "user_id": people["annotator"].id})
    client = client_for(None if caller == "anonymous" else people[caller])
    response = client.open(url, method=method, json=body, headers=hx() if htmx else {})
    permission = app.view_functions[endpoint].permission
    expected = {"anonymous": 401, "outsider": 404, "deactivated": 404, "pending": 403}.get(caller)
    if expected is None:
        expected = granted if caller in {r.value for r in PERMISSIONS[permission][1]} else 403
    body_text = response.get_data(as_text=True)[:200]
    assert response.status_code == expected, f"{caller} {method} {url}: {response.status_code} {body_text}"
    if response.status_code >= 400:
        assert response.get_json()["status_code"] == expected  # the API's error envelope, never an HTML page


#: site administration -> (method, form data, status for a site administrator: int or (plain, htmx))
ADMIN_ROUTES = {
    "admin.orgs": ("GET", None, 200),
    "admin.org_create": ("POST", {"name": ""}, 422),
    "admin.site_admins": ("GET", None, 200),
    "admin.site_admin_grant": ("POST", {"email": "not an address"}, 422),
    "admin.site_admin_revoke": ("POST", {}, 422),
    # plugins: access requests (the request is named in the form; none is named here)
    "admin.plugin_requests": ("GET", None, 200),
    "admin.plugin_request_approve": ("POST", {"request_id": ""}, 422),
    "admin.plugin_request_reject": ("POST", {"request_id": "", "reason": ""}, 422),
}


def test_admin_matrix_lists_every_admin_route(app):
    assert {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/admin")} == ADMIN_ROUTES.keys()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("caller", ("site_admin",) + CALLERS)
@pytest.mark.parametrize("endpoint", sorted(ADMIN_ROUTES))
def test_admin_matrix(app, client_for, people, create_user, endpoint, caller, htmx):
    method, data, granted = ADMIN_ROUTES[endpoint]
    site_admin = create_user(is_site_admin=True)
    # revoking: the target is another site administrator's account id, refused for being the caller's own
    url = _url(app, endpoint, {"user_id": site_admin.id})
    user = site_admin if caller == "site_admin" else (None if caller == "anonymous" else people[caller])
    response = client_for(user).open(url, method=method, data=data, headers=hx() if htmx else {})
    if caller == "site_admin":
        expected = granted
    elif caller == "anonymous":
        expected = 401 if htmx else 302
    else:
        expected = 403
    assert response.status_code == expected, f"{caller} {method} {url}: {response.status_code}"
