import pytest


@pytest.fixture
def site_admin(create_user):
    return create_user(email="root@tessera.example.com", name="Site Root", is_site_admin=True)


@pytest.fixture
def site_admin_client(client_for, site_admin):
    return client_for(site_admin)
