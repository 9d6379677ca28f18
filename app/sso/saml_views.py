"""SAML 2.0 sign-in per organization: start, assertion consumer, single logout, service-provider metadata."""
from flask import Blueprint

bp = Blueprint("saml", __name__, url_prefix="/sso")
