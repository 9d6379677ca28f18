"""Every action the audit trail knows. ``record`` refuses any other name."""

ACTIONS = frozenset({
    # sign-in and accounts
    "auth.login_succeeded",
    "auth.login_failed",
    "auth.logout",
    "auth.password_reset_requested",
    "auth.password_reset",
    "auth.password_changed",
    "user.created",
    "user.updated",
    "user.site_admin_granted",
    "user.site_admin_revoked",
    "api_token.created",
    "api_token.revoked",
    # organizations and people
    "org.created",
    "org.updated",
    "org.owner_transferred",
    "member.added",
    "member.role_changed",
    "member.deactivated",
    "member.reactivated",
    "invitation.created",
    "invitation.accepted",
    "invitation.revoked",
    "join_link.reset",
    "join_link.joined",
    # workspaces
    "workspace.created",
    "workspace.renamed",
    "workspace.deleted",
    "workspace.member_added",
    "workspace.member_removed",
    # projects
    "project.created",
    "project.updated",
    "project.config_changed",
    "project.deleted",
    "project.member_added",
    "project.member_removed",
    "project.member_role_changed",
    # tasks, imports and exports
    "tasks.imported",
    "tasks.exported",
    "tasks.deleted",
    "tasks.assigned",
    "annotations.deleted",
    # the trail itself
    "audit.retention_changed",
    "audit.purged",
    "audit.exported",
})

#: keys whose values never reach the trail
SECRET_KEYS = ("password", "token", "secret", "key", "hash", "otp")
