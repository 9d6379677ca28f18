"""Operators' commands: ``flask --app wsgi <command>`` (see the README)."""
import secrets
import sys

import click
from sqlalchemy import func, select

from app.errors import Refused
from app.extensions import db


def _fail(message):
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _one_time_password():
    return secrets.token_urlsafe(12)


def _user(email):
    from app.auth.services import user_by_email

    user = user_by_email(email)
    if user is None:
        _fail(f"No account with the e-mail {email}.")
    return user


def _org(slug):
    from app.orgs.models import Organization

    org = db.session.execute(select(Organization).where(Organization.slug == slug)).scalar_one_or_none()
    if org is None:
        _fail(f"No organization with the short name {slug!r}.")
    return org


DEMO_TEXTS = (
    "The checkout was quick and the parcel arrived a day early.", "Support never answered my two e-mails.",
    "It does what it says, nothing more.", "Battery life is superb: three days of normal use.",
    "The strap broke after a week.", "Delivery was on time; the box was a little dented.",
    "Setup took five minutes and the app is clear.", "I returned it; the colour was nothing like the photos.",
    "Fair price for what you get.", "The best headphones I have owned.",
)


def _seed_demo_project(owner, org):
    """A published project with a few tasks, so that the demo's people have something to label at once."""
    import io
    import json

    from app.orgs.models import OrgMember, Workspace
    from app.orgs.services import add_workspace_member
    from app.projects.services import create_project
    from app.tasks.importing import import_tasks

    workspace = db.session.scalars(select(Workspace).where(Workspace.org_id == org.id, Workspace.is_sandbox.is_(False))
                                   .order_by(Workspace.id)).first()
    for member in db.session.scalars(select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id != owner.id)):
        add_workspace_member(owner, org, workspace, member.user)
    project = create_project(owner, org, workspace, "Product reviews", is_published=True, show_instructions=True,
                             instructions="Choose the sentiment the customer expresses about the product.")
    tasks = json.dumps([{"text": text} for text in DEMO_TEXTS]).encode()
    import_tasks(owner, project, io.BytesIO(tasks), filename="reviews.json", fmt="json")


def register(app):
    @app.cli.command("seed-demo")
    def seed_demo():
        """If the database has no accounts, create a site administrator and a "Demo" organization."""
        from app.auth.models import User
        from app.auth.services import create_user
        from app.orgs.services import add_member, create_org
        from app.security.roles import Role

        if db.session.execute(select(func.count(User.id))).scalar():
            click.echo("The database already has accounts; nothing seeded.")
            return
        credentials = []
        admin_password = _one_time_password()
        site_admin = create_user(None, "admin@tessera.local", "Site Administrator", admin_password, is_site_admin=True)
        credentials.append(("site administrator", site_admin.email, admin_password))
        owner_password = _one_time_password()
        owner = create_user(site_admin, "owner@demo.local", "Olivia Owner", owner_password)
        org = create_org(site_admin, "Demo", owner, slug="demo")
        credentials.append(("owner", owner.email, owner_password))
        for role, name in ((Role.ADMIN, "Adam Admin"), (Role.MANAGER, "Mia Manager"), (Role.REVIEWER, "Rita Reviewer"),
                           (Role.ANNOTATOR, "Ana Annotator")):
            password = _one_time_password()
            user = create_user(site_admin, f"{role.value}@demo.local", name, password, org=org)
            add_member(site_admin, org, user, role)
            credentials.append((role.value, user.email, password))
        _seed_demo_project(owner, org)
        db.session.commit()
        click.echo("\nSeeded the Demo organization. These passwords are shown once; change them on the account page.\n")
        for role, email, password in credentials:
            click.echo(f"  {role:<20} {email:<24} {password}")
        click.echo("\nOpen http://127.0.0.1:5000/ and sign in.\n")

    @app.cli.command("create-site-admin")
    @click.argument("email")
    @click.option("--name", default="")
    @click.option("--password", help="Leave out to generate a one-time password.")
    def create_site_admin(email, name, password):
        """Create a site administrator, or make an existing account one."""
        from app.audit.services import record
        from app.auth.services import create_user, user_by_email

        user = user_by_email(email)
        try:
            if user is None:
                password = password or _one_time_password()
                user = create_user(None, email, name, password, is_site_admin=True)
                click.echo(f"Created site administrator {user.email} with password {password}")
            else:
                user.is_site_admin = True
                record(None, None, "user.site_admin_granted", target=user, data={"by": "operator"})
                click.echo(f"{user.email} is now a site administrator.")
        except Refused as exc:
            _fail(exc.message)
        db.session.commit()

    @app.cli.command("create-org")
    @click.argument("name")
    @click.argument("owner_email")
    @click.option("--slug", default=None, help="Short name used in URLs (default: from the name).")
    @click.option("--owner-name", default="")
    def create_org_cmd(name, owner_email, slug, owner_name):
        """Create an organization with its Owner (the Owner's account is created when new)."""
        from app.auth.services import create_user, user_by_email
        from app.orgs.services import create_org

        owner = user_by_email(owner_email)
        password = None
        try:
            if owner is None:
                password = _one_time_password()
                owner = create_user(None, owner_email, owner_name, password)
            org = create_org(None, name, owner, slug=slug)
        except Refused as exc:
            _fail(exc.message)
        db.session.commit()
        click.echo(f"Created organization {org.name} (/o/{org.slug}/) owned by {owner.email}")
        if password:
            click.echo(f"Owner's one-time password: {password}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.argument("org_slug")
    @click.argument("role")
    @click.option("--name", default="")
    @click.option("--password", help="Leave out to generate a one-time password.")
    def create_user_cmd(email, org_slug, role, name, password):
        """Create a user with a password and a role in an organization."""
        from app.auth.services import create_user
        from app.orgs.services import add_member

        org = _org(org_slug)
        password = password or _one_time_password()
        try:
            user = create_user(None, email, name, password, org=org)
            add_member(None, org, user, role)
        except Refused as exc:
            _fail(exc.message)
        db.session.commit()
        click.echo(f"Created {user.email} as {role} in {org.slug} with password {password}")

    @app.cli.command("reset-password")
    @click.argument("email")
    @click.option("--password", help="Leave out to generate a one-time password.")
    def reset_password_cmd(email, password):
        """Set a new password for an account."""
        from app.auth.services import set_password

        user = _user(email)
        password = password or _one_time_password()
        try:
            set_password(None, user, password)
        except Refused as exc:
            _fail(exc.message)
        db.session.commit()
        click.echo(f"New password for {user.email}: {password}")

    audit = click.Group("audit", help="Check and prune the audit trail.")
    app.cli.add_command(audit)

    @audit.command("verify")
    @click.option("--org", "org_slug", default=None, help="Only this organization's chain.")
    def audit_verify(org_slug):
        """Recompute the hash chains; exit 1 and name each edited or missing entry."""
        from app.audit.services import verify_all

        reports = verify_all(_org(org_slug).id if org_slug else None)
        failed = False
        for report in reports:
            if report.ok:
                click.echo(f"{report.chain}: {report.checked} entries, intact")
            else:
                failed = True
                click.secho(f"{report.chain}: TAMPERED", fg="red")
                for problem in report.problems:
                    click.secho(f"  {problem}", fg="red")
        if failed:
            sys.exit(1)

    @audit.command("purge")
    @click.option("--org", "org_slug", default=None, help="Only this organization (default: all with a retention).")
    def audit_purge(org_slug):
        """Delete entries older than each organization's retention, keeping the chain verifiable."""
        from app.audit.services import purge
        from app.orgs.models import Organization

        orgs = [_org(org_slug)] if org_slug else db.session.execute(
            select(Organization).where(Organization.audit_retention_days.is_not(None))).scalars().all()
        for org in orgs:
            count = purge(None, org)
            click.echo(f"{org.slug}: {count} entries older than {org.audit_retention_days} days deleted")
        db.session.commit()
