"""`GET /users?search=` by e-mail, as GitLab does it, and the `public_email` field.

Sources: app/finders/users_finder.rb (`by_search`: `with_private_emails` only for
`can_admin_all_resources?`; `by_public_email`), app/models/user.rb `User.search`
(`with_public_email(query)` for everyone, `with_primary_or_secondary_email` for admins; the
query is downcased), lib/api/entities/user.rb (`public_email` on the public user entity), and
docs.gitlab.com/api/users/ (non-admins list `UserBasic`, without e-mail fields).
"""

from __future__ import annotations

from tests.integration.sandbox.conftest import World


def _search(world: World, token: str, query: str) -> list[str]:
    response = world.sandbox.call("GET", "/users", token, params={"search": query})
    assert response.status_code == 200
    return [u["username"] for u in response.json()]


def _with_public_email(world: World) -> None:
    world.developer.public_email = "dan@work.example"


def test_anyone_finds_a_person_by_exact_public_email(world: World) -> None:
    _with_public_email(world)
    assert _search(world, world.outsider_token, "Dan@Work.Example") == ["dan.developer"]
    assert _search(world, world.outsider_token, "dan@work") == []


def test_non_admins_never_match_the_private_email(world: World) -> None:
    _with_public_email(world)
    assert _search(world, world.outsider_token, world.developer.email) == []


def test_admins_match_the_primary_email_too(world: World) -> None:
    _with_public_email(world)
    assert _search(world, world.admin_token, world.developer.email) == ["dan.developer"]
    assert _search(world, world.admin_token, "dan@work.example") == ["dan.developer"]


def test_non_admin_list_has_no_email_fields_but_the_user_has_public_email(world: World) -> None:
    _with_public_email(world)
    listed = world.sandbox.call(
        "GET", "/users", world.outsider_token, params={"search": "dan@work.example"}
    ).json()
    assert "public_email" not in listed[0]
    assert "email" not in listed[0]
    one = world.sandbox.call("GET", f"/users/{world.developer.id}", world.outsider_token).json()
    assert one["public_email"] == "dan@work.example"
    assert "email" not in one


def test_public_email_filter_is_exact(world: World) -> None:
    _with_public_email(world)
    found = world.sandbox.call(
        "GET", "/users", world.outsider_token, params={"public_email": "dan@work.example"}
    ).json()
    assert [u["username"] for u in found] == ["dan.developer"]


def test_add_user_takes_a_public_email(world: World) -> None:
    state = world.sandbox.sim.state
    erin = state.add_user("erin", public_email="erin@work.example", password="pw-123456")
    assert _search(world, world.outsider_token, "erin@work.example") == ["erin"]
    assert erin.password_hash is not None
    assert "pw-123456" not in erin.password_hash
