"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/: the organization is the one whose bearer token the call carries."""
from flask import Blueprint

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
