"""Token file: permissions, formats, atomic save; refresh against the mock's /token."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clova_client.cic.auth import (
    AuthFailed,
    RefreshConfig,
    RefreshUnavailable,
    TokenFileError,
    Tokens,
    TokenStore,
    refresh_tokens,
)
from clova_client.mock_cic import MockCicServer

from .helpers import DEVICE, REFRESH, TOKEN, write_token_file


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o666])
def test_file_open_to_group_or_others_is_refused(tmp_path: Path, bad_mode: int) -> None:
    path = write_token_file(tmp_path / "token.json")
    os.chmod(path, bad_mode)
    with pytest.raises(TokenFileError) as err:
        TokenStore(path)
    message = str(err.value)
    assert str(path) in message and f"0{bad_mode:o}" in message
    assert TOKEN not in message


@pytest.mark.parametrize("ok_mode", [0o600, 0o400, 0o700])
def test_private_modes_accepted(tmp_path: Path, ok_mode: int) -> None:
    path = write_token_file(tmp_path / "token.json")
    os.chmod(path, ok_mode)
    assert TokenStore(path).access_token == TOKEN


def test_plain_text_file_holds_only_the_access_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\n")
    os.chmod(path, 0o600)
    tokens = TokenStore(path).tokens
    assert tokens == Tokens(TOKEN, None, None)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "single access token"),
        ("two words", "single access token"),
        ('{"access_token": ', "malformed JSON"),
        ('{"refresh_token": "r"}', "access_token missing"),
        ('{"access_token": "a", "expires_at": "soon"}', "expires_at"),
    ],
)
def test_malformed_files_are_refused_without_echoing_them(
    tmp_path: Path, content: str, error: str
) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(TokenFileError, match=error):
        TokenStore(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="does not exist"):
        TokenStore(tmp_path / "nope")


def test_expires_at_accepts_unix_seconds_and_iso(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"access_token": "a", "expires_at": "2030-01-01T00:00:00+00:00"}))
    os.chmod(path, 0o600)
    assert TokenStore(path).tokens.expires_at == 1893456000.0
    assert Tokens("a", None, 100.0).expires_within(60, now=50.0)
    assert not Tokens("a", None, 100.0).expires_within(60, now=30.0)
    assert not Tokens("a").expires_within(60, now=1e12)


def test_save_is_atomic_private_and_fsynced_in_place(tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json")
    store = TokenStore(path)
    before = os.stat(path).st_ino
    store.save(Tokens("new-access", "new-refresh", 123.0))
    assert os.stat(path).st_ino != before  # replaced by rename, never rewritten in place
    assert mode(path) == 0o600
    assert json.loads(path.read_text()) == {
        "access_token": "new-access",
        "refresh_token": "new-refresh",
        "expires_at": 123.0,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token.json"]
    assert TokenStore(path).tokens == store.tokens


async def test_refresh_against_mock_stores_new_tokens(tmp_path: Path, mock: MockCicServer) -> None:
    path = write_token_file(tmp_path / "token.json")
    store = TokenStore(path, wall=lambda: 1000.0)
    tokens = await refresh_tokens(store, RefreshConfig(mock.auth_url, "cid", "secret"))
    assert tokens.access_token not in (TOKEN, "") and tokens.refresh_token not in (REFRESH, None)
    assert tokens.expires_at == 1000.0 + 3600
    assert TokenStore(path).tokens == tokens
    assert mode(path) == 0o600
    assert mock.device(DEVICE).token_refreshes == 1


async def test_refresh_refused_is_auth_failed(tmp_path: Path, mock: MockCicServer) -> None:
    path = write_token_file(tmp_path / "token.json", refresh="unknown-refresh")
    store = TokenStore(path)
    with pytest.raises(AuthFailed, match=r"HTTP 400 \(invalid_grant\)") as err:
        await refresh_tokens(store, RefreshConfig(mock.auth_url))
    assert "unknown-refresh" not in str(err.value)
    assert TokenStore(path).access_token == TOKEN  # file untouched


async def test_refresh_impossible_without_refresh_token_or_url(tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh=None)
    with pytest.raises(AuthFailed, match="no refresh_token"):
        await refresh_tokens(TokenStore(path), RefreshConfig("http://127.0.0.1:9/token"))
    path = write_token_file(tmp_path / "token.json")
    with pytest.raises(AuthFailed, match="no auth_url"):
        await refresh_tokens(TokenStore(path), RefreshConfig(None))


async def test_unreachable_auth_server_is_retryable(tmp_path: Path, mock: MockCicServer) -> None:
    path = write_token_file(tmp_path / "token.json")
    url = mock.auth_url
    await mock.stop()
    with pytest.raises(RefreshUnavailable, match="unreachable"):
        await refresh_tokens(TokenStore(path), RefreshConfig(url, timeout_s=2))
