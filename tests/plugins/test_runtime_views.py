"""The runtime's server side: the page's CSP and nonce, the plugins in the labeling state, the code routes and the
sandbox frame's policy."""
import json
import re

import pytest

from app.db import utcnow
from app.plugins.models import Plugin, PluginRevision
from app.projects.services import add_project_member
from tests.conftest import hx


@pytest.fixture
def project(db, dummy_project, people):
    add_project_member(people["owner"], dummy_project, people["annotator"])
    db.session.commit()
    return dummy_project


def add_plugin(db, project, title, mode="sandboxed", code="LSI.on('x', () => 1);", enabled=True, allowlist=(),
               position=0, revisions=1):
    plugin = Plugin(org_id=project.org_id, project_id=project.id, title=title, mode=mode, enabled=enabled,
                    allowlist=list(allowlist), position=position)
    db.session.add(plugin)
    db.session.flush()
    for number in range(1, revisions + 1):
        db.session.add(PluginRevision(plugin_id=plugin.id, number=number, code=f"{code} // r{number}"))
    db.session.commit()
    return plugin


def plugins_on(db, org):
    org.plugins_enabled_at = utcnow()
    db.session.commit()


def state_of(response):
    html = response.get_data(as_text=True)
    return json.loads(re.search(r'<script type="application/json" id="lsf-state"[^>]*>(.*?)</script>', html, re.S).group(1))


def label_url(project, slug="acme"):
    return f"/o/{slug}/projects/{project.id}/label"


def test_html_pages_carry_a_strict_policy_whose_nonce_is_on_every_script(db, client_for, people, project,
                                                                          dummy_org):
    # a project without plugins does not load the runtime at all
    assert "js/plugins/runtime.js" not in client_for(people["annotator"]).get(label_url(project)).get_data(as_text=True)
    plugins_on(db, dummy_org)
    add_plugin(db, project, "Check")
    response = client_for(people["annotator"]).get(label_url(project))
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["style-src-attr"] == "'unsafe-inline'"
    html = response.get_data(as_text=True)
    scripts = [tag for tag in re.findall(r"<script[^>]*>", html) if 'type="application/json"' not in tag]
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert "js/plugins/runtime.js" in html
    # another response, another nonce
    again = client_for(people["annotator"]).get(label_url(project)).headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" not in again


def test_the_login_page_has_the_policy_too(client):
    assert "script-src 'self' 'nonce-" in client.get("/login").headers["Content-Security-Policy"]


def test_an_htmx_fragment_uses_the_nonce_of_the_page_it_goes_into(client_for, people, project, create_project):
    client = client_for(people["annotator"])
    nonce = "abcdefghijklmnopqrstuv"
    response = client.get(label_url(project), headers={**hx(), "X-Tessera-Nonce": nonce})
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    # not without htmx, and never a malformed value
    plain = client.get(label_url(project), headers={"X-Tessera-Nonce": nonce})
    assert f"'nonce-{nonce}'" not in plain.headers["Content-Security-Policy"]
    bad = client.get(label_url(project), headers={**hx(), "X-Tessera-Nonce": "x' 'unsafe-inline"})
    assert "unsafe-inline" not in bad.headers["Content-Security-Policy"].split("style-src-attr")[0]


def test_a_config_style_gets_the_nonce(db, client_for, people, dummy_org, create_project):
    config = ('<View><Style>.lsf-richtext { color: red; }</Style><Text name="text" value="$text"/>'
              '<Choices name="c" toName="text"><Choice value="A"/></Choices></View>')
    project = create_project(dummy_org, people["owner"], label_config=config, is_published=True)
    from app.tasks.editing import create_task

    create_task(people["owner"], project, {"text": "hi"})
    db.session.commit()
    response = client_for(people["owner"]).get(label_url(project))
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)


def test_the_state_lists_enabled_plugins_in_stack_order_only_while_plugins_are_on(db, client_for, people, project,
                                                                                   dummy_org):
    second = add_plugin(db, project, "Second", position=1, allowlist=["https://api.example.com"])
    first = add_plugin(db, project, "First", mode="trusted", position=0, revisions=3)
    add_plugin(db, project, "Off", enabled=False, position=2)
    client = client_for(people["annotator"])
    assert state_of(client.get(label_url(project)))["plugins"] == []

    plugins_on(db, dummy_org)
    response = client.get(label_url(project))
    plugins = state_of(response)["plugins"]
    assert [(p["id"], p["title"], p["mode"], p["revision"]) for p in plugins] == [
        (first.id, "First", "trusted", 3), (second.id, "Second", "sandboxed", 1)]
    assert plugins[0]["code_url"].endswith(f"/code.js?plugin={first.id}&rev=3")
    assert plugins[1]["code_url"].endswith(f"/code.json?plugin={second.id}&rev=1")
    assert plugins[1]["allowlist"] == ["https://api.example.com"]
    assert "allow=https" in plugins[1]["frame_url"]
    assert all("code" not in p for p in plugins)


def test_trusted_code_is_wrapped_as_its_own_async_function(db, client_for, people, project, dummy_org):
    plugin = add_plugin(db, project, "Page", mode="trusted", code="let a = 1;\nawait LSI;")
    sandboxed = add_plugin(db, project, "Frame")
    client = client_for(people["annotator"])
    base = f"/o/acme/projects/{project.id}/plugin-runtime"
    assert client.get(f"{base}/code.js?plugin={plugin.id}&rev=1").status_code == 404  # plugins off

    plugins_on(db, dummy_org)
    response = client.get(f"{base}/code.js?plugin={plugin.id}&rev=1")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    lines = body.split("\n")
    assert lines[1] == f"Tessera.plugins.define({plugin.id}, 1, async function (LSI) {{"
    assert lines[2] == "let a = 1;"  # the plugin's line 1 is line 3 (TRUSTED_HEADER_LINES = 2)
    assert body.rstrip().endswith("});") and "use strict" not in body
    # a sandboxed plugin is never served to the page as a script; a missing revision is a 404
    assert client.get(f"{base}/code.js?plugin={sandboxed.id}&rev=1").status_code == 404
    assert client.get(f"{base}/code.js?plugin={plugin.id}&rev=2").status_code == 404
    code = client.get(f"{base}/code.json?plugin={sandboxed.id}&rev=1")
    assert code.status_code == 200 and code.get_json()["code"].startswith("LSI.on(")
    assert client.get(f"{base}/code.json?plugin={plugin.id}&rev=1").status_code == 404


def test_another_organization_gets_nothing(db, client_for, people, project, dummy_org):
    plugin = add_plugin(db, project, "Page", mode="trusted")
    plugins_on(db, dummy_org)
    url = f"/o/acme/projects/{project.id}/plugin-runtime/code.js?plugin={plugin.id}&rev=1"
    response = client_for(people["outsider"]).get(url)
    assert response.status_code == 404


def test_the_sandbox_frame_has_its_own_policy(client):
    response = client.get("/plugin-sandbox?allow=https://api.example.com&allow=https://cdn.example.org:8443")
    assert response.status_code == 200
    policy = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert "'unsafe-eval'" in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]
    # the bootstrap is inline, allowed by its hash alone
    import base64
    import hashlib
    import re

    inline = re.search(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["script-src"]
    assert "https://api.example.com" in policy["script-src"] and "https://cdn.example.org:8443" in policy["connect-src"]
    assert "'self'" not in policy["connect-src"] and "localhost" not in policy["connect-src"]
    assert policy["frame-ancestors"].startswith("http://")
    assert "postMessage" in inline
    assert client.get("/plugin-sandbox").headers["Content-Security-Policy"].count("connect-src 'none'") == 1


@pytest.mark.parametrize("origin", ["http://api.example.com", "https://api.example.com/path", "https://*.example.com",
                                    "javascript:alert(1)", "https://a.com; script-src *", "https://user@a.com"])
def test_the_sandbox_refuses_what_is_not_an_https_origin(client, origin):
    assert client.get("/plugin-sandbox", query_string={"allow": origin}).status_code == 400
