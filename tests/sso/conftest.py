"""Fixtures of the in-test identity provider (tests/sso/idp.py), shared by the SAML tests."""
from tests.sso.idp import idp, idp_keys, saml_org, sp  # noqa: F401 (fixtures)
