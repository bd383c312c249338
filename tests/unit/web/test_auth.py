"""Authentication: bearer keys and HMAC signatures, with client ids from the settings."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from ingestors.web.auth import (
    CLIENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ApiClient,
    Authenticator,
    Caller,
    Refused,
    sign,
)
from ingestors.web.settings import DEV_API_KEY, DEV_CLIENT_ID, WebSettings, client_id_for_key

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CLIENTS = [ApiClient("app", b"app-secret"), ApiClient("contact-centre", b"cc-secret")]


def signed_headers(
    client: str, key: bytes, *, at: datetime = NOW, body: bytes = b"{}", target: str = "/v1/x"
) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    return {
        CLIENT_HEADER: client,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(key, ts, "POST", target, body),
    }


def test_bearer_keys_name_their_client() -> None:
    auth = Authenticator(CLIENTS)
    assert auth.by_bearer("Bearer cc-secret") == Caller("contact-centre")
    assert auth.by_bearer("bearer   app-secret ") == Caller("app")
    for wrong in ("Bearer nope", "Bearer ", "", "Basic app-secret", "app-secret", "Bearer app"):
        assert isinstance(auth.by_bearer(wrong), Refused), wrong


def test_a_signature_covers_client_time_method_target_and_body() -> None:
    auth = Authenticator(CLIENTS, window_s=300)

    def check(headers: dict[str, str], body: bytes = b"{}", target: str = "/v1/x") -> object:
        return auth.by_signature(headers, method="POST", target=target, body=body, now=NOW)

    good = signed_headers("app", b"app-secret")
    assert check(good) == Caller("app")
    assert isinstance(check(good, body=b'{"x":1}'), Refused)
    assert isinstance(check(good, target="/v1/y"), Refused)
    assert isinstance(check({**good, CLIENT_HEADER: "contact-centre"}), Refused)
    assert isinstance(check(signed_headers("ghost", b"app-secret")), Refused)
    stale = signed_headers("app", b"app-secret", at=NOW - timedelta(seconds=301))
    assert "window" in check(stale).detail  # type: ignore[attr-defined]
    future = signed_headers("app", b"app-secret", at=NOW + timedelta(seconds=299))
    assert check(future) == Caller("app")
    assert isinstance(check({**good, TIMESTAMP_HEADER: "-5"}), Refused)
    assert isinstance(check({**good, TIMESTAMP_HEADER: "9" * 40}), Refused)


def test_authenticate_prefers_a_signature_to_a_bearer_key() -> None:
    auth = Authenticator(CLIENTS)
    headers = {**signed_headers("app", b"app-secret"), "Authorization": "Bearer cc-secret"}
    found = auth.authenticate(headers, method="POST", target="/v1/x", body=b"{}", now=NOW)
    assert found == Caller("app")
    assert auth.authenticate(
        {"Authorization": "Bearer cc-secret"}, method="POST", target="/", body=b"", now=NOW
    ) == Caller("contact-centre")


def test_keys_never_show_in_reprs() -> None:
    assert "app-secret" not in repr(CLIENTS[0])
    settings = WebSettings(api_keys={"app": SecretStr("app-secret")})
    assert "app-secret" not in repr(settings)
    assert "app-secret" not in repr(settings.api_clients())


def test_settings_give_keys_client_ids() -> None:
    by_id = WebSettings(api_keys={"app": SecretStr("k1"), "cc": SecretStr("k2")})
    assert [c.client_id for c in by_id.api_clients()] == ["app", "cc"]
    listed = WebSettings(api_keys=(SecretStr("k1"),))
    [client] = listed.api_clients()
    assert client.client_id == client_id_for_key("k1") and "k1" not in client.client_id
    dev = WebSettings()
    assert dev.using_development_key
    assert [(c.client_id, c.key) for c in dev.api_clients()] == [
        (DEV_CLIENT_ID, DEV_API_KEY.encode())
    ]
    with pytest.raises(ValueError, match="SPORTELLO_API_KEYS"):
        WebSettings(environment="production").api_clients()


def test_the_environment_configures_keys_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTELLO_API_KEYS", '{"portale": "p-key", "app": "a-key"}')
    assert {c.client_id for c in WebSettings().api_clients()} == {"portale", "app"}
    monkeypatch.setenv("SPORTELLO_API_KEYS", '["p-key"]')
    assert WebSettings().effective_api_keys() == ("p-key",)
