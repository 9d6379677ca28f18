"""People in several organizations switch between them; the home page opens the last one used."""


def test_switcher_lists_each_organization(client_for, people, add_member):
    annotator = people["annotator"]
    add_member(people["other_org"], __import__("app.security.roles", fromlist=["Role"]).Role.REVIEWER, user=annotator)
    client = client_for(annotator)
    page = client.get("/o/acme/").get_data(as_text=True)
    assert 'href="/o/acme/"' in page and 'href="/o/other/"' in page and "Reviewer" in page

    assert client.get("/o/other/").status_code == 200
    assert client.get("/").headers["Location"] == "/o/other/"
    assert client.get("/o/acme/").status_code == 200
    assert client.get("/").headers["Location"] == "/o/acme/"


def test_deactivated_organization_is_not_offered(client_for, people):
    page = client_for(people["deactivated"]).get("/").status_code
    assert page == 200  # no working organization left: the "no organization yet" page
