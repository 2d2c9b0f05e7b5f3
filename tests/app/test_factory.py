import pytest

import config
from app import create_app
from tests.conftest import make_config


def test_factory_builds_an_app_with_every_area(tmp_path):
    app = create_app(make_config(tmp_path))
    assert app.testing
    assert {"public", "auth", "organise"} <= set(app.blueprints)
    assert (tmp_path / "instance").is_dir()


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config._secret_key(tmp_path)
    assert len(first) == 64
    assert config._secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert config._secret_key(tmp_path) == "from-env"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CONVENE_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.config_from_env()


def test_production_refuses_to_start_without_a_public_address(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("CONVENE_ENV", "production")
    with pytest.raises(RuntimeError, match="PUBLIC_URL must be set"):
        config.config_from_env()


def test_a_public_address_without_a_host_is_refused(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "convene.example.org")
    with pytest.raises(RuntimeError, match=r"'convene\.example\.org' is not an address"):
        config.DevelopmentConfig()


def test_the_site_answers_to_its_public_host_and_those_listed(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example.org")
    monkeypatch.setenv("TRUSTED_HOSTS", "convene.internal, .convene.lan")
    hosts = config.DevelopmentConfig().TRUSTED_HOSTS
    assert hosts == [
        "convene.example.org",
        "convene.internal",
        ".convene.lan",
        "127.0.0.1",
        "localhost",
    ]


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example.org")
    monkeypatch.setenv("CONVENE_ENV", "production")
    settings = config.config_from_env()
    assert settings.SESSION_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_unknown_environment_name_is_named(monkeypatch):
    monkeypatch.setenv("CONVENE_ENV", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        config.config_from_env()
