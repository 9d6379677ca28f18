"""Template globals: the signed-in person's organizations (for the switcher) and role helpers."""
from flask import g
from flask_login import current_user

from app.security.permissions import can
from app.security.roles import Role


def register(app):
    @app.context_processor
    def inject():
        def allowed(permission, obj=None):
            return can(current_user, g.get("member"), permission, obj)

        my_orgs = []
        if current_user.is_authenticated:
            from app.orgs.services import orgs_of

            my_orgs = orgs_of(current_user)
        def has_endpoint(endpoint):
            return endpoint in app.view_functions

        return {"has_endpoint": has_endpoint, "current_org": g.get("org"), "current_member": g.get("member"), "my_orgs": my_orgs,
                "allowed": allowed, "Role": Role}

    @app.template_filter("when")
    def when(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"

    @app.template_filter("combine_attrs")
    def combine_attrs(attrs, extra):
        """Merge HTML attributes for a form field, dropping the ones set to None."""
        return {k: v for k, v in {**attrs, **extra}.items() if v is not None}
