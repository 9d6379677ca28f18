"""Password reset by e-mailed link: written to the log when no SMTP server is configured."""
import logging
import re

from tests.conftest import PASSWORD


def _link_from_log(caplog):
    match = re.search(r"http://localhost(/password/reset/\S+)", caplog.text)
    assert match, caplog.text
    return match.group(1)


def test_reset_flow_changes_the_password_once(client, people, caplog):
    email = people["annotator"].email
    with caplog.at_level(logging.WARNING):
        response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 200 and b"on its way" in response.data
    link = _link_from_log(caplog)

    assert client.get(link).status_code == 200
    mismatch = client.post(link, data={"password": "a new password 1", "confirm": "a different one"})
    assert mismatch.status_code == 422 and b"The two passwords differ" in mismatch.data
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and b"at least 10 characters" in short.data

    done = client.post(link, data={"password": "a new password 1", "confirm": "a new password 1"})
    assert done.status_code == 303

    reused = client.get(link)
    assert reused.status_code == 400 and b"already been used" in reused.data

    fresh = client.application.test_client()
    assert fresh.post("/login", data={"email": email, "password": PASSWORD}).status_code == 422
    assert fresh.post("/login", data={"email": email, "password": "a new password 1"}).status_code == 303


def test_unknown_address_gets_the_same_answer_and_no_mail(client, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.post("/password/forgot", data={"email": "nobody@example.com"})
    assert response.status_code == 200 and b"on its way" in response.data
    assert "/password/reset/" not in caplog.text


def test_tampered_link_is_refused(client):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 400 and b"not valid" in response.data
