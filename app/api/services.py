"""Translating the API's vocabulary into the services'."""
from app.errors import Refused
from app.security.roles import API_CODES, parse_role

_ROLE_BY_CODE = {code: role for role, code in API_CODES.items()}


def role_from_api(value):
    """A Role from the API's two-letter code (``AN``) or a role name (``annotator``)."""
    if isinstance(value, str) and value.strip().upper() in _ROLE_BY_CODE:
        return _ROLE_BY_CODE[value.strip().upper()]
    if not isinstance(value, str):
        raise Refused("Give the role as a code (OW, AD, MA, RE, AN, NO, DI) or a name.", "role")
    return parse_role(value)

