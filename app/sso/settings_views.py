"""The organization's Single sign-on settings: identity provider, attributes, group mapping, policy, SCIM tokens."""
from flask import Blueprint

bp = Blueprint("sso_settings", __name__, url_prefix="/o/<org_slug>/settings")
