"""Every endpoint passes through the gate; a new route without ``@require`` fails here."""
from app.security.permissions import PERMISSIONS

#: endpoints anyone may reach without signing in
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.password_forgot",
    "auth.password_reset",
    "auth.invite_accept",
    "auth.join_link",
    "api.health",
    "api.version",
    "plugin_runtime.sandbox",  # the sandbox frame's static bootstrap (no cookies reach an opaque origin)
    # SAML: the person is not signed in yet; the identity provider's signed messages are the proof
    "saml.start",
    "saml.login",
    "saml.acs",
    "saml.slo",
    "saml.metadata",
}


def test_every_endpoint_is_gated(app):
    ungated, unknown, wrongly_public = [], [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "permission", None)
        if permission is None:
            ungated.append(f"{rule.endpoint} ({rule.rule})")
        elif permission not in PERMISSIONS:
            unknown.append(rule.endpoint)
        elif permission == "public" and rule.endpoint not in PUBLIC_ENDPOINTS:
            wrongly_public.append(rule.endpoint)
    assert not ungated, f"routes without @require: {ungated}"
    assert not unknown, f"routes naming unknown permissions: {unknown}"
    assert not wrongly_public, f"public routes missing from the explicit public list: {wrongly_public}"


def test_public_list_names_real_endpoints(app):
    missing = {e for e in PUBLIC_ENDPOINTS if e not in app.view_functions}
    assert not missing, f"the public list names endpoints that no longer exist: {missing}"


def test_org_routes_carry_the_slug(app):
    """Tenancy is explicit: every route under /o/ names the organization."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/o/"):
            assert "org_slug" in rule.arguments, rule.rule
