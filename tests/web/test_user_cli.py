"""``tocsin user create`` and ``tocsin user password``: who may sign in to the web UI."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def tocsin(w: Any, *args: str, stdin: str = "") -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(w.harness.config), "--database-url", w.harness.db_url],
        input=stdin,
        env={"COLUMNS": "200"},
    )


def test_first_run_creates_an_admin_who_can_sign_in(web):
    w = web()
    made = tocsin(
        w, "user", "create", "root", "--admin", "--password-stdin", stdin="a long secret\n"
    )
    assert made.exit_code == 0, made.output
    assert "root can sign in at" in made.output and "as an admin" in made.output
    r = w.sign_in("root", "a long secret")
    assert r.status_code == 303
    assert w.client.get("/").status_code == 200
    # An account-only admin is an admin: they may rotate tokens.
    assert w.runtime.accounts.account("root").admin


def test_the_password_prompt_asks_twice(web):
    w = web()
    made = tocsin(w, "user", "create", "bob", stdin="a long secret\na long secret\n")
    assert made.exit_code == 0, made.output
    assert w.sign_in("bob", "a long secret").status_code == 303
    typo = tocsin(
        w,
        "user",
        "create",
        "cat",
        stdin="a long secret\nanother one!\na long secret\na long secret\n",
    )
    assert "do not match" in typo.output.lower() or "don't match" in typo.output.lower()


def test_short_passwords_and_unknown_people_are_refused(web):
    w = web()
    short = tocsin(w, "user", "create", "bob", "--password-stdin", stdin="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert w.runtime.accounts.account("bob") is None
    nobody = tocsin(w, "user", "password", "zed", "--password-stdin", stdin="a long secret\n")
    assert nobody.exit_code != 0 and "no user 'zed'" in nobody.output


def test_a_new_password_signs_the_person_out_everywhere(web):
    w = web()
    w.sign_in("bob")
    assert w.client.get("/", follow_redirects=False).status_code == 200
    done = tocsin(w, "user", "password", "bob", "--password-stdin", stdin="brand new secret\n")
    assert done.exit_code == 0, done.output
    assert w.client.get("/", follow_redirects=False).status_code == 303
    assert w.sign_in("bob", "brand new secret").status_code == 303
