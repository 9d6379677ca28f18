"""SCIM's error envelope (RFC 7644 section 3.12)."""
from flask import jsonify

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MEDIA_TYPE = "application/scim+json"


def scim_error(status, detail, scim_type=None):
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response
