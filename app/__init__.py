"""Application factory."""
import logging

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config
from app.db import configure_engines
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate


def create_app(config_class=Config):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    # Clients of the model product's API mix /path and /path/; both answer, without a redirect.
    app.url_map.strict_slashes = False
    config_class.validate(app)
    logging.basicConfig(level=logging.INFO)

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    configure_engines()
    from app.web.sessions import SessionInterface

    app.session_interface = SessionInterface()
    db.init_app(app)
    from app import models  # noqa: F401  (registers every table)

    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    _register_transaction(app)

    from app.web import context, csp, errors

    errors.register(app)
    context.register(app)
    csp.register(app)
    from app.web import markdown

    markdown.register(app)

    from app import cli

    cli.register(app)
    return app


def _init_login(app):
    from app.auth.models import User
    from app.auth.services import user_for_api_key
    from app.extensions import db as _db
    from app.web.errors import unauthorized

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(unauthorized)

    @login_manager.user_loader
    def load_user(user_id):
        user = _db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_user_from_token(req):
        header = req.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "token" and key.strip():
            user = user_for_api_key(key.strip())
            if user is not None:
                g.token_auth = True
            return user
        return None


def _register_blueprints(app):
    from app.admin.views import bp as admin_bp
    from app.api.views import bp as api_bp
    from app.audit.views import bp as audit_bp
    from app.auth.views import bp as auth_bp
    from app.datamanager.views import bp as datamanager_bp
    from app.labeling.views import bp as labeling_bp
    from app.notifications.views import bp as notifications_bp
    from app.orgs.views import bp as orgs_bp
    from app.plugins.access_views import bp as plugin_access_bp
    from app.plugins.gallery_views import bp as plugin_gallery_bp
    from app.plugins.runtime_views import bp as plugin_runtime_bp
    from app.plugins.stack_views import bp as plugins_bp
    from app.projects.views import bp as projects_bp
    from app.scim.views import bp as scim_bp
    from app.sso.saml_views import bp as saml_bp
    from app.sso.settings_views import bp as sso_settings_bp

    for bp in (auth_bp, orgs_bp, projects_bp, datamanager_bp, labeling_bp, plugin_access_bp, plugins_bp,
               plugin_runtime_bp, plugin_gallery_bp, notifications_bp, audit_bp, admin_bp, api_bp, saml_bp,
               sso_settings_bp, scim_bp):
        app.register_blueprint(bp)
    # The API authenticates by token; it checks CSRF itself for cookie-authenticated calls.
    csrf.exempt(api_bp)
    # SCIM clients hold a bearer token and no cookie.
    csrf.exempt(scim_bp)


def _register_transaction(app):
    """One transaction per request: commit what succeeded, roll back any error, so nothing is half-saved."""

    @app.after_request
    def finish_transaction(response):
        if response.status_code < 400 or g.get("commit_despite_error"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def rollback_on_exception(exc):
        if exc is not None:
            db.session.rollback()


def keep_changes_on_error():
    """Commit this request's writes even though it answers with an error (failed sign-in audit entries)."""
    g.commit_despite_error = True
    return request
