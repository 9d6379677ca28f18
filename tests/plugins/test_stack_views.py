"""The project's plugin panel over HTTP: the gate for every role, each change, refusals with 422/403, tenancy."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.db import utcnow
from app.orgs.services import add_workspace_member, create_workspace
from app.plugins import stack
from app.plugins.models import Plugin
from app.projects.services import add_project_member
from tests.conftest import hx

ROLES = ("owner", "admin", "manager", "reviewer", "annotator")


@pytest.fixture
def project(db, people, dummy_org, create_project):
    """A project in a workspace the Manager belongs to; the Annotator and Reviewer are its members."""
    owner = people["owner"]
    workspace = create_workspace(owner, dummy_org, "Labeling")
    add_workspace_member(owner, dummy_org, workspace, people["manager"])
    project = create_project(dummy_org, owner, title="Sentiment", workspace=workspace, is_published=True)
    add_project_member(owner, project, people["annotator"])
    add_project_member(owner, project, people["reviewer"])
    dummy_org.plugins_enabled_at = utcnow()
    db.session.commit()
    return project


@pytest.fixture
def plugin(db, project, people):
    made = stack.create_plugin(people["owner"], project, "Word limit", code="let words = 1;\n")
    db.session.commit()
    return made


def _url(project, tail=""):
    return f"/o/acme/projects/{project.id}/plugins{tail}"


def _post(client, url, data):
    return client.post(url, data=data, headers=hx())


def test_the_labeling_settings_load_the_panel(db, project, owner_client):
    body = owner_client.get(f"/o/acme/projects/{project.id}/settings/labeling").get_data(as_text=True)
    assert f'hx-get="{_url(project)}"' in body and 'hx-trigger="load"' in body


def test_the_panel_shows_the_stack_and_the_gallery(db, project, plugin, manager_client):
    response = manager_client.get(_url(project), headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="plugin-panel"' in body and "Word limit" in body and "sandboxed" in body
    assert "Add blank plugin" in body and "Insert from gallery" in body and "also load its labeling" in body.lower()
    assert "css/plugins.css" in body and "js/plugins/panel.js" in body
    # a plain request gets a page of its own around the panel
    page = manager_client.get(_url(project)).get_data(as_text=True)
    assert "<html" in page and 'id="plugin-panel"' in page


def test_the_panel_shows_the_access_request_while_plugins_are_off(db, project, plugin, dummy_org, owner_client):
    dummy_org.plugins_enabled_at = None
    db.session.commit()
    body = owner_client.get(_url(project), headers=hx()).get_data(as_text=True)
    assert "Add blank plugin" not in body and "Word limit" not in body
    assert 'id="plugin-access"' in body and "Request access" in body
    # and nothing can be changed meanwhile
    response = _post(owner_client, _url(project), {"title": "New"})
    assert response.status_code == 422 and "Plugins are off" in response.get_data(as_text=True)
    assert len(stack.stack(project)) == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_above_reach_the_panel(db, project, client_for, people, role):
    status = client_for(people[role]).get(_url(project), headers=hx()).status_code
    assert status == (200 if role in ("owner", "admin", "manager") else 403)


@pytest.mark.parametrize("editors", ["manager", "admin"])
@pytest.mark.parametrize("role", ROLES)
def test_the_edit_permission_follows_the_organization_setting(db, project, plugin, dummy_org, client_for, people,
                                                              role, editors):
    dummy_org.plugin_editors = editors
    db.session.commit()
    may_edit = role in ("owner", "admin") or (role == "manager" and editors == "manager")
    client = client_for(people[role])
    response = _post(client, _url(project, f"/{plugin.id}/switch"), {"enabled": "off"})
    assert response.status_code == (200 if may_edit else 403)
    db.session.refresh(plugin)
    assert plugin.enabled is (not may_edit)
    response = _post(client, _url(project), {"title": "Another"})
    assert response.status_code == (200 if may_edit else 403)
    assert len(stack.stack(project)) == (2 if may_edit else 1)
    if role == "manager" and not may_edit:
        # the Manager still reads the panel and the code, without the editing controls
        body = client.get(_url(project, f"/{plugin.id}"), headers=hx()).get_data(as_text=True)
        assert "let words = 1;" in body and "readonly" in body
        assert "Add blank plugin" not in body and "Save revision" not in body


def test_add_a_blank_plugin_opens_it_in_the_editor(db, project, manager_client):
    response = _post(manager_client, _url(project), {"title": "Checks"})
    body = response.get_data(as_text=True)
    [made] = stack.stack(project)
    assert response.status_code == 200 and made.title == "Checks"
    assert "Save revision" in body and "data-code-editor" in body and "codemirror.css" in body
    refused = _post(manager_client, _url(project), {"title": ""})
    assert refused.status_code == 422 and "Give the plugin a title." in refused.get_data(as_text=True)


def test_insert_from_the_gallery_with_its_configuration(db, project, manager_client):
    from app.plugins import gallery

    entry = next((e for e in gallery.entries() if e.mode == "sandboxed" and not e.private), None)
    if entry is None:
        pytest.skip("the gallery has no sandboxed entry")
    code, view_xml, _ = gallery.read(entry.path)
    response = _post(manager_client, _url(project, "/gallery"), {"path": entry.path, "load_config": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    [made] = stack.stack(project)
    assert made.gallery_path == entry.path and stack.current_code(made) == code
    db.session.refresh(project)
    assert project.label_config == view_xml
    refused = _post(manager_client, _url(project, "/gallery"), {"path": "../etc"})
    assert refused.status_code == 422 and "Choose a plugin from the gallery." in refused.get_data(as_text=True)


def test_save_needs_a_message_and_a_change(db, project, plugin, manager_client):
    url = _url(project, f"/{plugin.id}/revisions")
    no_message = _post(manager_client, url, {"code": "let words = 2;\n", "message": ""})
    body = no_message.get_data(as_text=True)
    assert no_message.status_code == 422 and "Describe the change in a message." in body
    assert "let words = 2;" in body  # what was typed is kept
    unchanged = _post(manager_client, url, {"code": "let words = 1;\n", "message": "Nothing"})
    assert unchanged.status_code == 422 and "The code is unchanged" in unchanged.get_data(as_text=True)
    saved = _post(manager_client, url, {"code": "let words = 2;\n", "message": "Two words"})
    assert saved.status_code == 200 and "Two words" in saved.get_data(as_text=True)
    assert [r.number for r in stack.revisions(plugin)] == [2, 1]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "plugin.revised")).scalar_one()
    assert "+let words = 2;" in entry.data["diff"]


def test_history_diff_escapes_code_and_revert(db, project, plugin, people, manager_client):
    stack.save_revision(people["owner"], plugin, "document.body.innerHTML = '<img src=x onerror=alert(1)>';\n", "Img")
    db.session.commit()
    editor = manager_client.get(_url(project, f"/{plugin.id}"), headers=hx()).get_data(as_text=True)
    assert "Compare with current" in editor and "Revert to this" in editor
    response = manager_client.get(_url(project, f"/{plugin.id}/diff?a=1"), headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "diff-table" in body and 'id="plugin-panel"' not in body
    assert "let words = 1;" in body and "&lt;img src=x onerror=alert(1)&gt;" in body and "<img src=x" not in body
    assert "diff-replace" in body
    missing = manager_client.get(_url(project, f"/{plugin.id}/diff?a=9"), headers=hx())
    assert missing.status_code == 422
    reverted = _post(manager_client, _url(project, f"/{plugin.id}/revert"), {"number": "1"})
    assert reverted.status_code == 200 and "Revert to revision 1" in reverted.get_data(as_text=True)
    assert stack.current_code(plugin) == "let words = 1;\n"
    assert _post(manager_client, _url(project, f"/{plugin.id}/revert"), {"number": "77"}).status_code == 422


def test_reorder_switch_rename_and_delete(db, project, plugin, people, manager_client):
    second = stack.create_plugin(people["owner"], project, "Second")
    db.session.commit()
    assert _post(manager_client, _url(project, f"/{second.id}/move"), {"direction": "up"}).status_code == 200
    assert [p.id for p in stack.stack(project)] == [second.id, plugin.id]
    assert _post(manager_client, _url(project, f"/{second.id}/move"), {"direction": "up"}).status_code == 422
    assert _post(manager_client, _url(project, f"/{plugin.id}/switch"), {"enabled": "maybe"}).status_code == 422
    assert _post(manager_client, _url(project, f"/{plugin.id}/switch"), {"enabled": "off"}).status_code == 200
    db.session.refresh(plugin)
    assert plugin.enabled is False
    assert _post(manager_client, _url(project, f"/{plugin.id}/title"), {"title": "Renamed"}).status_code == 200
    db.session.refresh(plugin)
    assert plugin.title == "Renamed"
    plugin_id = plugin.id
    response = _post(manager_client, _url(project, f"/{plugin_id}/delete"), {})
    assert response.status_code == 200 and "Renamed was deleted." in response.get_data(as_text=True)
    assert db.session.get(Plugin, plugin_id) is None
    assert _post(manager_client, _url(project, f"/{plugin_id}/delete"), {}).status_code == 404


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_trusted_mode_is_refused_below_owner(db, project, plugin, client_for, people, role):
    client = client_for(people[role])
    editor = client.get(_url(project, f"/{plugin.id}"), headers=hx()).get_data(as_text=True)
    assert "Make trusted" not in editor and "Only an Owner may make a plugin trusted." in editor
    response = _post(client, _url(project, f"/{plugin.id}/mode"), {"mode": "trusted"})
    assert response.status_code == 403 and "Only an Owner may make a plugin trusted." in response.get_data(as_text=True)
    db.session.refresh(plugin)
    assert plugin.mode == "sandboxed"


def test_owner_makes_a_plugin_trusted_after_the_warning(db, project, plugin, owner_client):
    editor = owner_client.get(_url(project, f"/{plugin.id}"), headers=hx()).get_data(as_text=True)
    warning = ("data-confirm=\"Trusted plugins run inside the labeling page with the annotator&#39;s session: they can "
               "read and change everything the annotator can. Only switch this on for code you have reviewed.\"")
    assert "Make trusted" in editor and warning in editor
    response = _post(owner_client, _url(project, f"/{plugin.id}/mode"), {"mode": "trusted"})
    assert response.status_code == 200 and "Switch to sandboxed" in response.get_data(as_text=True)
    db.session.refresh(plugin)
    assert plugin.mode == "trusted"
    assert _post(owner_client, _url(project, f"/{plugin.id}/mode"), {"mode": "root"}).status_code == 422


def test_allowlist_validation_in_the_panel(db, project, plugin, manager_client):
    url = _url(project, f"/{plugin.id}/allowlist")
    refused = _post(manager_client, url, {"allowlist": "https://ok.example\nhttp://no.example\nhttps://*.example"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Line 2 (http://no.example): only https origins are allowed." in body
    assert "Line 3 (https://*.example): wildcards are not allowed" in body
    db.session.refresh(plugin)
    assert plugin.allowlist == []
    saved = _post(manager_client, url, {"allowlist": "https://OK.example/\n\nhttps://api.example:8443"})
    assert saved.status_code == 200
    db.session.refresh(plugin)
    assert plugin.allowlist == ["https://ok.example", "https://api.example:8443"]


def test_another_organizations_plugin_is_not_found(db, project, people, create_project, owner_client, outsider_client):
    theirs_project = create_project(people["other_org"], people["outsider"], title="Theirs")
    people["other_org"].plugins_enabled_at = utcnow()
    theirs = stack.create_plugin(people["outsider"], theirs_project, "Secret", code="secret()\n")
    db.session.commit()
    assert owner_client.get(_url(project, f"/{theirs.id}"), headers=hx()).status_code == 404
    assert _post(owner_client, _url(project, f"/{theirs.id}/delete"), {}).status_code == 404
    assert owner_client.get(_url(project, f"/{theirs.id}/diff?a=1"), headers=hx()).status_code == 404
    assert db.session.get(Plugin, theirs.id) is not None
    # and the outsider cannot reach ours through their own organization either
    ours = stack.create_plugin(people["owner"], project, "Ours")
    db.session.commit()
    assert outsider_client.get(_url(project, f"/{ours.id}"), headers=hx()).status_code == 404
    assert outsider_client.get(f"/o/other/projects/{theirs_project.id}/plugins/{ours.id}",
                               headers=hx()).status_code == 404
