"""Bind authentication against an LDAP directory, configured by environment (on-premise installs)."""


def enabled():
    return False
