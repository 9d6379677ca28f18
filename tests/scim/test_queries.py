"""Listing: filters (every operator, and/or/not, precedence), pagination, sorting and attribute selection."""
from urllib.parse import quote

import pytest

from app.orgs.services import owner_of
from app.scim import resources


@pytest.fixture
def crowd(make_user, scim):
    """Three people besides the Owner; Bo is deactivated."""
    people = {
        "amy": make_user("amy@alpha.com", "Amy", "Archer", externalId="ext-amy"),
        "bo": make_user("bo@beta.com", "Bo", "Baker", externalId="ext-bo", active=False),
        "cy": make_user("cy@alpha.com", "Cy", "Carter"),
    }
    return people


def names(scim, query):
    response = scim.get(f"Users?filter={quote(query)}")
    assert response.status_code == 200, response.get_json()
    return sorted(r["userName"] for r in response.get_json().get("Resources", []))


def test_each_operator(scim, scim_org, crowd):
    assert names(scim, 'userName eq "AMY@alpha.com"') == ["amy@alpha.com"]
    assert names(scim, 'externalId eq "ext-bo"') == ["bo@beta.com"]
    assert names(scim, f'id eq "{crowd["cy"]["id"]}"') == ["cy@alpha.com"]
    assert "amy@alpha.com" not in names(scim, 'userName ne "amy@alpha.com"')
    assert names(scim, 'emails.value co "@alpha"') == ["amy@alpha.com", "cy@alpha.com"]
    assert names(scim, 'name.familyName sw "Ba"') == ["bo@beta.com"]
    assert names(scim, 'userName ew "beta.com"') == ["bo@beta.com"]
    assert names(scim, 'externalId pr') == ["amy@alpha.com", "bo@beta.com"]
    assert names(scim, 'displayName eq "Cy Carter"') == ["cy@alpha.com"]
    assert names(scim, 'name.givenName gt "Bo"') == ["cy@alpha.com"]
    assert names(scim, 'name.givenName lt "Bo"') == ["amy@alpha.com"]
    assert names(scim, 'active eq false') == ["bo@beta.com"]
    assert "bo@beta.com" not in names(scim, 'active eq true')
    assert names(scim, 'meta.created gt "2000-01-01T00:00:00Z" and userName sw "cy"') == ["cy@alpha.com"]
    assert names(scim, 'meta.lastModified lt "2000-01-01T00:00:00Z"') == []
    assert names(scim, 'userName eq "nobody@nowhere.com"') == []
    # a member Tessera added itself has no SCIM userName of its own: it is their address
    owner_email = owner_of(scim_org).user.email
    assert names(scim, f'userName eq "{owner_email.upper()}"') == [owner_email]


def test_and_or_not_and_precedence(scim, crowd):
    assert names(scim, 'emails.value co "alpha" and name.givenName eq "Cy"') == ["cy@alpha.com"]
    assert names(scim, 'name.givenName eq "Amy" or name.givenName eq "Bo"') == ["amy@alpha.com", "bo@beta.com"]
    # "and" binds tighter than "or"
    assert names(scim, 'name.givenName eq "Amy" or name.givenName eq "Bo" and active eq true') == ["amy@alpha.com"]
    assert names(scim, '(name.givenName eq "Amy" or name.givenName eq "Bo") and active eq true') == ["amy@alpha.com"]
    assert names(scim, '(name.givenName eq "Amy" or name.givenName eq "Bo") and active eq false') == ["bo@beta.com"]
    assert names(scim, 'not (emails.value co "alpha") and externalId pr') == ["bo@beta.com"]


@pytest.mark.parametrize("bad", ['userName eq', 'userName xx "a"', '(userName eq "a"', 'nosuchattr eq "a"',
                                 'active eq "maybe"'])
def test_a_bad_filter_is_invalid_filter(scim, bad):
    response = scim.get(f"Users?filter={quote(bad)}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"


def test_group_filters(scim, crowd):
    for name, members in (("Alpha team", ["amy", "cy"]), ("Beta team", ["bo"]), ("Leads", ["amy"])):
        scim.post("Groups", {"schemas": [resources.Group.__schema__], "displayName": name, "externalId": f"x-{name}",
                             "members": [{"value": crowd[m]["id"]} for m in members]})

    def groups(query):
        response = scim.get(f"Groups?filter={quote(query)}")
        assert response.status_code == 200, response.get_json()
        return sorted(r["displayName"] for r in response.get_json().get("Resources", []))

    assert groups('displayName eq "alpha TEAM"') == ["Alpha team"]
    assert groups('displayName co "team"') == ["Alpha team", "Beta team"]
    assert groups('displayName sw "Le"') == ["Leads"]
    assert groups('externalId eq "x-Beta team"') == ["Beta team"]
    assert groups(f'members.value eq "{crowd["amy"]["id"]}"') == ["Alpha team", "Leads"]
    assert groups(f'members[value eq "{crowd["bo"]["id"]}"]') == ["Beta team"]


def test_pagination_is_stable_and_counts(scim, crowd, monkeypatch):
    everyone = scim.get("Users").get_json()
    assert everyone["totalResults"] == 4 and everyone["itemsPerPage"] == 4 and everyone["startIndex"] == 1
    ids = [r["id"] for r in everyone["Resources"]]
    assert ids == sorted(ids, key=int)

    pages = [scim.get(f"Users?startIndex={start}&count=2").get_json() for start in (1, 3)]
    assert [p["startIndex"] for p in pages] == [1, 3]
    assert [p["itemsPerPage"] for p in pages] == [2, 2]
    assert [r["id"] for p in pages for r in p["Resources"]] == ids
    assert all(p["totalResults"] == 4 for p in pages)

    beyond = scim.get("Users?startIndex=10&count=2").get_json()
    assert beyond["totalResults"] == 4 and beyond["itemsPerPage"] == 0 and not beyond.get("Resources")

    only_count = scim.get("Users?count=0").get_json()
    assert only_count["totalResults"] == 4 and not only_count.get("Resources")

    # startIndex below 1 reads as 1; count is capped
    assert scim.get("Users?startIndex=0&count=1").get_json()["Resources"][0]["id"] == ids[0]
    monkeypatch.setattr(resources, "MAX_PAGE_SIZE", 3)
    capped = scim.get("Users?count=100").get_json()
    assert capped["itemsPerPage"] == 3 and capped["totalResults"] == 4
    assert scim.get("Users?count=many").status_code == 400


def test_sorting(scim, crowd):
    listed = scim.get("Users?sortBy=name.givenName&sortOrder=descending&filter=" + quote("name.givenName pr"))
    assert [r["name"]["givenName"] for r in listed.get_json()["Resources"]] == ["Cy", "Bo", "Amy"]


def test_attributes_and_excluded_attributes(scim, crowd):
    amy = crowd["amy"]["id"]
    one = scim.get(f"Users/{amy}?attributes=userName,name.givenName").get_json()
    assert set(one) == {"schemas", "id", "userName", "name"} and one["name"] == {"givenName": "Amy"}

    without = scim.get(f"Users/{amy}?excludedAttributes=emails,meta").get_json()
    assert "emails" not in without and "meta" not in without and without["userName"] == "amy@alpha.com"

    listed = scim.get("Users?attributes=externalId&filter=" + quote('userName eq "amy@alpha.com"')).get_json()
    assert listed["Resources"] == [{"schemas": [resources.User.__schema__], "id": amy, "externalId": "ext-amy"}]

    searched = scim.post("Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                           "filter": 'userName sw "bo"', "excludedAttributes": ["name"]})
    assert searched.status_code == 200
    (bo,) = searched.get_json()["Resources"]
    assert bo["userName"] == "bo@beta.com" and "name" not in bo

    both = scim.get(f"Users/{amy}?attributes=userName&excludedAttributes=name")
    assert both.status_code == 400


def test_search_across_users_and_groups(scim, crowd):
    scim.post("Groups", {"schemas": [resources.Group.__schema__], "displayName": "Everyone"})
    body = scim.post(".search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                 "filter": 'displayName co "y"'}).get_json()
    found = sorted((r["meta"]["resourceType"], r["displayName"]) for r in body["Resources"])
    assert found == [("Group", "Everyone"), ("User", "Amy Archer"), ("User", "Cy Carter")]
