"""Template globals: the signed-in person's organizations (for the switcher) and role helpers."""
from flask import g
from flask_login import current_user

from app.auth.models import identity_sources
from app.security.permissions import can
from app.security.roles import Role


class _MyOrgs:
    """The switcher's organizations, read only when a template shows them (partials never do)."""

    def __init__(self):
        self._orgs = None

    def _load(self):
        if self._orgs is None:
            from app.orgs.services import orgs_of

            self._orgs = orgs_of(current_user) if current_user.is_authenticated else []
        return self._orgs

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())


def register(app):
    @app.context_processor
    def inject():
        def allowed(permission, obj=None):
            return can(current_user, g.get("member"), permission, obj)

        def has_endpoint(endpoint):
            return endpoint in app.view_functions

        return {"has_endpoint": has_endpoint, "current_org": g.get("org"), "current_member": g.get("member"),
                "my_orgs": _MyOrgs(), "allowed": allowed, "Role": Role, "identity_sources": identity_sources}

    @app.template_filter("when")
    def when(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"

    @app.template_filter("combine_attrs")
    def combine_attrs(attrs, extra):
        """Merge HTML attributes for a form field, dropping the ones set to None."""
        return {k: v for k, v in {**attrs, **extra}.items() if v is not None}
