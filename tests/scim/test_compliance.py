"""scim2-tester runs every check it has against /scim/v2, with no exclusions: each must succeed."""
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server


def test_scim2_tester_passes_every_check(app, scim_token):
    client = WSGISCIMClient(app, base_url="http://localhost/scim/v2",
                            headers={"Authorization": f"Bearer {scim_token}"})
    results = check_server(client)
    failures = [f"{r.resource_type or '-'} {r.title}: {r.status.name} {r.reason}" for r in results
                if r.status != Status.SUCCESS]
    ran = {(r.resource_type, r.title) for r in results}
    for resource_type in ("User", "Group"):
        for check in ("object_creation", "object_query", "object_replacement", "object_deletion",
                      "check_add_attribute", "check_remove_attribute", "check_replace_attribute",
                      "search_with_attributes"):
            assert (resource_type, check) in ran, f"{check} did not run for {resource_type}"
    assert not failures, "scim2-tester checks that did not succeed:\n" + "\n".join(failures)
