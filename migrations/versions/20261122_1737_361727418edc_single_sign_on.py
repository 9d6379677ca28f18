"""single sign-on: identities, SAML settings and memory, group mapping, SCIM tokens and groups

Revision ID: 361727418edc
Revises: 7b77fa0825d9
Create Date: 2026-11-22 17:37:13.915641
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


revision = '361727418edc'
down_revision = '7b77fa0825d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scim_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=300), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_groups_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_groups')),
    sa.UniqueConstraint('org_id', 'display_name', name=op.f('uq_scim_groups_org_id_display_name'))
    )
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_groups_org_id'), ['org_id'], unique=False)

    op.create_table('sso_saml_assertions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.String(length=200), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_saml_assertions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_saml_assertions')),
    sa.UniqueConstraint('org_id', 'assertion_id', name=op.f('uq_sso_saml_assertions_org_id_assertion_id'))
    )
    with op.batch_alter_table('sso_saml_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_saml_assertions_expires_at'), ['expires_at'], unique=False)

    op.create_table('sso_saml_requests',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('next_path', sa.String(length=1000), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('used_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_saml_requests_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_saml_requests'))
    )
    with op.batch_alter_table('sso_saml_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_saml_requests_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_saml_requests_org_id'), ['org_id'], unique=False)

    op.create_table('sso_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('idp_entity_id', sa.String(length=500), nullable=False),
    sa.Column('idp_sso_url', sa.String(length=1000), nullable=False),
    sa.Column('idp_slo_url', sa.String(length=1000), nullable=False),
    sa.Column('idp_certificates', sa.JSON(), nullable=False),
    sa.Column('idp_metadata_xml', sa.Text(), nullable=True),
    sa.Column('attr_email', sa.String(length=200), nullable=False),
    sa.Column('attr_first_name', sa.String(length=200), nullable=False),
    sa.Column('attr_last_name', sa.String(length=200), nullable=False),
    sa.Column('attr_groups', sa.String(length=200), nullable=False),
    sa.Column('email_domains', sa.JSON(), nullable=False),
    sa.Column('require_sso', sa.Boolean(), nullable=False),
    sa.Column('allow_idp_initiated', sa.Boolean(), nullable=False),
    sa.Column('manage_roles_in_tessera', sa.Boolean(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_settings_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_settings')),
    sa.UniqueConstraint('org_id', name=op.f('uq_sso_settings_org_id'))
    )
    op.create_table('auth_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=100), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.Column('last_login_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_identities')),
    sa.UniqueConstraint('provider', 'identifier', name=op.f('uq_auth_identities_provider_identifier'))
    )
    with op.batch_alter_table('auth_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_identities_user_id'), ['user_id'], unique=False)

    op.create_table('scim_group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_scim_group_members_group_id_scim_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_group_members')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_scim_group_members_group_id_user_id'))
    )
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('scim_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scim_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_scim_tokens_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scim_tokens_token_hash'))
    )
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_tokens_org_id'), ['org_id'], unique=False)

    op.create_table('sso_group_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('role', sa.Enum('owner', 'admin', 'manager', 'reviewer', 'annotator', 'pending', 'deactivated', name='org_role', native_enum=False, length=20), nullable=True),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('project_role', sa.String(length=20), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sso_group_mappings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sso_group_mappings_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sso_group_mappings_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sso_group_mappings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_group_mappings'))
    )
    with op.batch_alter_table('sso_group_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_group_mappings_org_id'), ['org_id'], unique=False)
        batch_op.create_index('uq_sso_group_mappings_project', ['org_id', 'group_name', 'project_id'], unique=True, sqlite_where=sa.text("kind = 'project'"), postgresql_where=sa.text("kind = 'project'"))
        batch_op.create_index('uq_sso_group_mappings_role', ['org_id', 'group_name'], unique=True, sqlite_where=sa.text("kind = 'role'"), postgresql_where=sa.text("kind = 'role'"))
        batch_op.create_index('uq_sso_group_mappings_workspace', ['org_id', 'group_name', 'workspace_id'], unique=True, sqlite_where=sa.text("kind = 'workspace'"), postgresql_where=sa.text("kind = 'workspace'"))

    with op.batch_alter_table('org_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('deprovisioned_at', UTCDateTime(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_name', sa.String(length=100), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')

    with op.batch_alter_table('org_members', schema=None) as batch_op:
        batch_op.drop_column('deprovisioned_at')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('sso_group_mappings', schema=None) as batch_op:
        batch_op.drop_index('uq_sso_group_mappings_workspace', sqlite_where=sa.text("kind = 'workspace'"), postgresql_where=sa.text("kind = 'workspace'"))
        batch_op.drop_index('uq_sso_group_mappings_role', sqlite_where=sa.text("kind = 'role'"), postgresql_where=sa.text("kind = 'role'"))
        batch_op.drop_index('uq_sso_group_mappings_project', sqlite_where=sa.text("kind = 'project'"), postgresql_where=sa.text("kind = 'project'"))
        batch_op.drop_index(batch_op.f('ix_sso_group_mappings_org_id'))

    op.drop_table('sso_group_mappings')
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_tokens_org_id'))

    op.drop_table('scim_tokens')
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_members_user_id'))

    op.drop_table('scim_group_members')
    with op.batch_alter_table('auth_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_identities_user_id'))

    op.drop_table('auth_identities')
    op.drop_table('sso_settings')
    with op.batch_alter_table('sso_saml_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_saml_requests_org_id'))
        batch_op.drop_index(batch_op.f('ix_sso_saml_requests_expires_at'))

    op.drop_table('sso_saml_requests')
    with op.batch_alter_table('sso_saml_assertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_saml_assertions_expires_at'))

    op.drop_table('sso_saml_assertions')
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_groups_org_id'))

    op.drop_table('scim_groups')
