"""People: who is reached how and when, self-service settings that paging then uses, test
pages, and changing one's password."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from tests.web.accessibility import check_page
from tests.web.conftest import PASSWORD
from tocsin.domain.users import ContactMethod, Rule


def accessible(html: str) -> None:
    assert check_page(html) == []


def switch(w, user: str) -> None:
    """Sign out, and in as ``user``."""
    w.client.cookies.clear()
    assert w.sign_in(user).status_code == 303


def profile(**overrides: str) -> dict[str, str]:
    """bob's settings form as the page fills it in, with ``overrides``."""
    form = {
        "email": "bob@example.com",
        "phone": "",
        "slack_user_id": "",
        "ntfy_topic": "",
        "webhook_url": "",
        "time_zone": "",
    }
    return {**form, **overrides}


def test_people_page_shows_contact_methods_rules_teams_and_sign_in(web):
    w = web()
    w.runtime.accounts.save_profile(
        "bob",
        {
            "phone": "+4915112345678",
            "notification_rules": {
                "high": [
                    {"method": "webhook", "delay": "0m"},
                    {"method": "sms", "delay": "2m"},
                    {"method": "voice", "delay": "5m"},
                ]
            },
        },
    )
    w.sign_in("cat")  # not an admin
    r = w.client.get("/people")
    assert r.status_code == 200
    text = unescape(r.text)
    accessible(r.text)
    assert "ann@example.com" in text and "bob@example.com" in text
    # Someone else's phone number and webhook URL are shortened for a non-admin.
    assert "+4915112345678" not in text and "+49…678" in text and "(partly hidden)" in text
    assert "http://127.0.0.1:" in text and "/bob" not in text.replace('href="/people/bob"', "")
    assert "webhook at once, SMS after 2 min, call after 5 min" in text
    # ann has no rules of her own: the defaults, marked as such.
    row = re.search(r'<tr id="person-ann">.*?</tr>', text, re.S).group(0)
    assert 'email at once, webhook at once <span class="muted">(default)</span>' in row
    assert re.search(r"<td>Yes, admin</td>", row) is None  # ann has no password yet
    assert "<td>No, admin</td>" in row
    cat = re.search(r'<tr id="person-cat">.*?</tr>', text, re.S).group(0)
    assert "<td>Yes</td>" in cat  # cat signed in
    assert 'id="team-platform"' in text and "/people/ann" in text


def test_admins_and_the_person_see_the_whole_phone_number(web):
    w = web()
    w.account("bob")
    w.runtime.accounts.save_profile("bob", {"phone": "+4915112345678"})
    w.sign_in("bob")
    assert "+4915112345678" in w.client.get("/people/bob").text
    switch(w, "ann")
    assert "+4915112345678" in w.client.get("/people").text
    switch(w, "cat")
    page = w.client.get("/people/bob")
    assert "+4915112345678" not in page.text and "(partly hidden)" in page.text
    assert "Only Bob Example and admins can change these settings." in page.text
    assert 'action="/people/bob/profile"' not in page.text


def test_saving_a_profile_changes_what_paging_uses(web):
    w = web()
    w.sign_in("bob")
    page = w.client.get("/people/bob")
    assert page.status_code == 200
    accessible(page.text)
    assert 'action="/people/bob/profile"' in page.text and 'id="high-0-method"' in page.text
    r = w.post(
        "/people/bob/profile",
        {
            **profile(phone="+4915112345678", time_zone="Europe/Paris"),
            "high-0-method": "sms",
            "high-0-delay": "2m",
            "high-2-method": "voice",  # a blank row between: fine
            "high-2-delay": "5m",
            "low-0-method": "email",
        },
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/people/bob?done=profile")
    bob = w.runtime.current.routing.users["bob"]
    assert bob.phone == "+4915112345678" and bob.time_zone.key == "Europe/Paris"
    assert bob.webhook_url is None  # cleared in the form
    assert bob.rules_for("high") == (
        Rule(ContactMethod.SMS, timedelta(minutes=2)),
        Rule(ContactMethod.VOICE, timedelta(minutes=5)),
    )
    after = unescape(w.client.get(r.headers["location"]).text)
    assert "Saved. Pages use these settings from now on." in after
    assert "SMS after 2 min, call after 5 min" in after
    assert 'value="2m"' in after and "set in Tocsin" in after


def test_a_bad_phone_number_is_refused_and_what_was_typed_is_kept(web):
    w = web()
    w.sign_in("bob")
    r = w.post(
        "/people/bob/profile",
        {**profile(phone="0151 1234", slack_user_id="U0BOB"), "high-0-method": "slack"},
    )
    assert r.status_code == 400
    text = unescape(r.text)
    accessible(r.text)
    assert '<a href="#phone">Phone</a>' in text and "is not an E.164 number" in text
    assert 'id="phone" name="phone" value="0151 1234"' in text and 'aria-invalid="true"' in text
    assert 'value="U0BOB"' in text
    assert re.search(r'<option value="slack" selected>', text)
    assert w.runtime.current.routing.users["bob"].phone is None
    assert w.runtime.accounts.account("bob").profile is None


def test_a_rule_problem_is_shown_at_the_row_it_was_typed_in(web):
    w = web()
    w.sign_in("bob")
    r = w.post(
        "/people/bob/profile",
        {**profile(), "high-1-method": "sms", "high-1-delay": "2m", "low-0-delay": "5m"},
    )
    assert r.status_code == 400
    text = unescape(r.text)
    # A delay without a method is caught by the form itself.
    assert "Low urgency rule 1, method" in text and "choose a contact method" in text
    r = w.post("/people/bob/profile", {**profile(), "high-1-method": "sms", "high-1-delay": "2m"})
    assert r.status_code == 400
    text = unescape(r.text)
    # bob has no phone: the problem belongs to the second row, where sms was chosen.
    assert '<a href="#high-1-method">High urgency rule 2, method</a>' in text
    assert 'id="high-1-method-problem"' in text and "set phone" in text


def test_reset_goes_back_to_the_configuration_file(web):
    w = web()
    w.sign_in("bob")
    w.post("/people/bob/profile", profile(phone="+4915112345678"))
    assert w.runtime.current.routing.users["bob"].phone == "+4915112345678"
    assert "Use the configuration file's settings" in w.client.get("/people/bob").text
    r = w.post("/people/bob/profile/reset")
    assert r.status_code == 303
    bob = w.runtime.current.routing.users["bob"]
    assert bob.phone is None and bob.webhook_url.endswith("/bob")
    page = w.client.get(r.headers["location"]).text
    assert "Back to the configuration file" in page and "the configuration file</dd>" in page


def test_a_test_page_goes_to_each_method_and_shows_what_happened(web, receiver):
    w = web()
    w.sign_in("ann")
    r = w.post("/people/bob/test-page")  # an admin may test anyone
    assert r.status_code == 200
    sent = [q for q in receiver.requests if q.path == "/bob"]
    assert len(sent) == 1 and "test page for Bob Example" in sent[0].body.decode()
    text = unescape(r.text)
    assert "Test page: what each method did" in text
    assert re.search(
        r"<th scope=\"row\">webhook</th><td[^>]*>http://127\.0\.0\.1:\d+/bob</td>", text
    )
    assert 'class="badge status-sent">Sent<' in text
    # bob's email cannot go out (no SMTP configured): said in words, not just red.
    assert re.search(r"<th scope=\"row\">email</th>.*?Failed</span> \S", text, re.S)
    w.runtime.accounts.save_profile("cat", {"email": None})
    r = w.post("/people/cat/test-page")
    assert "Nothing was sent: cat has no contact methods." in r.text


def test_others_settings_are_read_only_for_non_admins(web, receiver):
    w = web()
    w.sign_in("cat")
    before = len(receiver.requests)
    for path in ("/people/bob/profile", "/people/bob/profile/reset", "/people/bob/test-page"):
        r = w.post(path, profile(phone="+4915112345678"))
        assert r.status_code == 403, path
    assert w.runtime.accounts.account("bob") is None
    assert w.runtime.current.routing.users["bob"].phone is None
    assert len(receiver.requests) == before
    assert w.post("/people/nobody/profile", profile()).status_code == 404


def test_changing_the_password_keeps_this_browser_and_ends_the_others(web):
    w = web()
    w.sign_in("bob")
    other = w.runtime.accounts.sign_in("bob", PASSWORD)[0]  # another browser
    assert w.runtime.accounts.session(other) is not None
    new = "a much better password"
    r = w.post(
        "/people/bob/password",
        {"current_password": PASSWORD, "new_password": new, "again": new},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/people/bob?done=password")
    assert w.runtime.accounts.session(other) is None
    page = w.client.get(r.headers["location"])
    assert page.status_code == 200 and "Password changed." in page.text
    w.client.cookies.clear()
    assert w.sign_in("bob", PASSWORD).status_code == 401
    assert w.sign_in("bob", new).status_code == 303


def test_a_wrong_current_password_or_a_mismatch_is_refused(web):
    w = web()
    w.sign_in("bob")
    new = "a much better password"
    r = w.post(
        "/people/bob/password",
        {"current_password": "not my password", "new_password": new, "again": new},
    )
    assert r.status_code == 400
    assert 'id="current_password-problem">is not your current password<' in r.text
    r = w.post(
        "/people/bob/password",
        {"current_password": PASSWORD, "new_password": new, "again": new + "!"},
    )
    assert r.status_code == 400 and "does not match the new password" in r.text
    r = w.post(
        "/people/bob/password",
        {"current_password": PASSWORD, "new_password": "short", "again": "short"},
    )
    assert r.status_code == 400 and "at least 10 characters" in r.text
    assert new not in r.text and PASSWORD not in r.text  # passwords are never echoed
    w.client.cookies.clear()
    assert w.sign_in("bob", PASSWORD).status_code == 303  # unchanged


def test_only_the_person_can_change_their_password(web):
    w = web()
    w.account("bob")
    w.sign_in("ann")  # even an admin
    r = w.post(
        "/people/bob/password",
        {"current_password": PASSWORD, "new_password": "x" * 12, "again": "x" * 12},
    )
    assert r.status_code == 403
    assert 'action="/people/bob/password"' not in w.client.get("/people/bob").text
    w.client.cookies.clear()
    assert w.sign_in("bob", PASSWORD).status_code == 303


def test_masked_addresses_hide_credentials_and_ntfy_topics():
    from tocsin.web.contact_words import shown

    assert shown("webhook_url", "https://user:s3cret@hooks.example:8443/T0/abc", False) == (
        "https://hooks.example:8443/…",
        True,
    )
    assert shown("ntfy_topic", "ann-pages-7f3k", False) == ("an…", True)
    assert shown("push", "ann-pages-7f3k", True) == ("ann-pages-7f3k", False)
    assert shown("webhook", "http://[oops", False) == ("…", True)
