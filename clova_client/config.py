"""Settings: one TOML file, validated; ``CLOVA_<SECTION>__<KEY>`` environment variables win.

``load_settings(path)`` is the only entry point the daemon uses; ``check_files`` then checks the
files the settings name (``run`` and ``check-config``). Every problem becomes a ``ConfigError``
whose text is one line naming the dotted key, the bad value and what is allowed.
"""

from __future__ import annotations

import os
import platform
import re
import ssl
import tomllib
import typing
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from clova_client import __version__
from clova_client.cic.user_agent import UserAgent
from clova_client.logging import LogFormat

ENV_PREFIX = "CLOVA_"
AudioOutput = Literal["auto", "alsa", "pulse", "null"]
LogLevel = Annotated[
    Literal["debug", "info", "warning", "error"],
    BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
]
Seconds = Annotated[float, Field(gt=0)]


_config_file: ContextVar[Path | None] = ContextVar("clova_config_file", default=None)


class ConfigError(Exception):
    """A configuration problem, told in one line: ``config: KEY = VALUE ... [SOURCE]``."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


class CicSection(_Section):
    base_url: str = "https://prod-ni-cic.clova.ai"
    http2_prior_knowledge: bool = False
    ca_file: Path | None = None
    ping_interval_s: Seconds = 60.0
    ping_timeout_s: Seconds = 10.0
    button_ttl_s: Seconds = 10.0

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class AuthSection(_Section):
    access_token_file: Path = Path("access_token")
    auth_url: str = "https://auth.clova.ai/token"
    client_id: str = ""
    client_secret_file: Path | None = None

    @field_validator("auth_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class DeviceSection(_Section):
    """The User-Agent parts; empty ones are detected (package version, ``uname -s/-r/-m``)."""

    maker: str = "clova-client"
    product: str = "speaker"
    version: str = ""
    os_name: str = ""
    os_version: str = ""
    hardware: str = ""
    extras: dict[str, str] = {}

    @model_validator(mode="after")
    def _valid_user_agent(self) -> Self:
        self.user_agent  # noqa: B018 - raises UserAgentError (a ValueError) on a bad part
        return self

    @property
    def user_agent(self) -> UserAgent:
        """``str()`` of it is the header: ``Maker/Product/1.2.3 (OS 1.0;Hardware;key=value)``."""
        return UserAgent(
            maker=self.maker,
            product=self.product,
            version=self.version or __version__,
            os_name=self.os_name or _detected(platform.system()),
            os_version=self.os_version or _detected(platform.release()),
            hardware=self.hardware or _detected(platform.machine()),
            extras=self.extras,
        )


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.query or parts.username or parts.password:
        raise ValueError("must carry no query string or credentials")
    return value.rstrip("/")


def _detected(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "-", value).strip("-") or "unknown"


class PlayerSection(_Section):
    audio_output: AudioOutput = "auto"
    alsa_device: Annotated[str, Field(pattern=r"^[\w:=,.\-]*\Z", max_length=200)] = ""
    volume: Annotated[int, Field(ge=0, le=100)] = 80
    open_timeout_s: Seconds = 10.0
    stall_timeout_s: Seconds = 10.0
    stream_deliver_timeout_s: Seconds = 8.0
    stream_request_lead_s: Seconds = 5.0
    earcon: Annotated[str, Field(min_length=1, max_length=4096)] = "default"
    """The short sound for mute / unmute / volume changes: default, off, or a WAV file."""

    @field_validator("earcon")
    @classmethod
    def _earcon(cls, value: str) -> str:
        if value not in ("default", "off") and not Path(value).expanduser().is_file():
            raise ValueError('must be "default", "off" or an existing sound file')
        return value


class FocusSection(_Section):
    """What music does while the dialog (listening, speaking) holds the audio focus."""

    content: Literal["duck", "pause"] = "duck"
    duck_percent: Annotated[int, Field(ge=0, le=100)] = 20
    """The music's level while ducked, in percent of the user's volume."""


class VoiceSection(_Section):
    lang: Literal["ko", "en", "ja"] = "ko"
    """Recognize's ``lang`` unless the voice component names one."""


class OutboxSection(_Section):
    max_events: Annotated[int, Field(ge=1)] = 1000


class LogSection(_Section):
    format: LogFormat = "auto"
    level: LogLevel = "info"


class SystemdSection(_Section):
    ready_grace_s: Annotated[float, Field(ge=0)] = 20.0
    watchdog: bool = True


class LibrarySection(_Section):
    paths: list[Path] = []


class Settings(BaseSettings):
    """The whole configuration. Relative auth file paths are resolved against ``state_dir``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    state_dir: Path = Path("/var/lib/clova-client")
    runtime_dir: Path = Path("/run/clova-client")
    cic: CicSection = CicSection()
    auth: AuthSection = AuthSection()
    device: DeviceSection = DeviceSection()
    player: PlayerSection = PlayerSection()
    focus: FocusSection = FocusSection()
    voice: VoiceSection = VoiceSection()
    outbox: OutboxSection = OutboxSection()
    log: LogSection = LogSection()
    systemd: SystemdSection = SystemdSection()
    library: LibrarySection = LibrarySection()

    def model_post_init(self, context: Any, /) -> None:
        auth = self.auth
        updates: dict[str, Path] = {}
        if not auth.access_token_file.is_absolute():
            updates["access_token_file"] = self.state_dir / auth.access_token_file
        if auth.client_secret_file and not auth.client_secret_file.is_absolute():
            updates["client_secret_file"] = self.state_dir / auth.client_secret_file
        if updates:
            self.auth = auth.model_copy(update=updates)

    @property
    def control_dir(self) -> Path:
        """Where the local control socket lives: ``runtime_dir`` (the unit's RuntimeDirectory),
        so the daemon and a technician's ``clova-client status`` agree with no environment."""
        return self.runtime_dir

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file.get())
        return init_settings, env_settings, toml


def load_settings(path: Path | None) -> Settings:
    """Read ``path`` (None: defaults only), apply ``CLOVA_*`` overrides and validate."""
    where = str(path) if path is not None else "defaults"
    if path is not None and not path.is_file():
        raise ConfigError(f"config: file not found: {path}")
    token = _config_file.set(path)
    try:
        return Settings()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: TOML syntax error: {exc} [{where}]") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: not UTF-8 text: {exc} [{where}]") from exc
    except OSError as exc:
        raise ConfigError(f"config: cannot read: {exc.strerror or exc} [{where}]") from exc
    except ValidationError as exc:
        raise _to_config_error(exc, where) from exc
    finally:
        _config_file.reset(token)


def check_files(settings: Settings, path: Path | None) -> None:
    """The files the daemon reads once at start, read now: a ``ca_file`` or
    ``client_secret_file`` that is missing, unreadable or (the CA file) holds no certificate is
    one ``ConfigError`` line, not a traceback at every reconnect. ``path``: the config file."""
    ca_file, secret_file = settings.cic.ca_file, settings.auth.client_secret_file
    if ca_file is not None:
        _readable(("cic", "ca_file"), ca_file, path, _trust)
    if secret_file is not None:
        _readable(("auth", "client_secret_file"), secret_file, path, Path.read_bytes)


def _trust(file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(file))


def _readable(
    loc: tuple[str, str], file: Path, path: Path | None, read: Callable[[Path], object]
) -> None:
    """Raise the one-line ConfigError when ``read(file)`` cannot."""
    try:
        read(file)
    except OSError as exc:
        reason = "no PEM certificate in it" if isinstance(exc, ssl.SSLError) else exc.strerror
        env_name = ENV_PREFIX + "__".join(loc).upper()
        source = f"env {env_name}" if env_name in os.environ else str(path or "defaults")
        key = ".".join(loc)
        message = f"config: {key} = '{file}' cannot be read: {reason or exc} [{source}]"
        raise ConfigError(message, key=key) from None


def _to_config_error(exc: ValidationError, where: str) -> ConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = _dotted(first["loc"])
    env_name = ENV_PREFIX + "__".join(str(p) for p in first["loc"]).upper()
    source = f"env {env_name}" if env_name in os.environ else where
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return ConfigError(f"config: {_describe(first, key)} [{source}]{more}", key=key)


def _describe(error: ErrorDetails, key: str) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "extra_forbidden":
        return f"unknown key '{key}'{_suggest(error['loc'])}"
    if kind == "missing":
        return f"{key} is required"
    shown = key if isinstance(value, dict) else f"{key} = {value!r}"
    if kind == "literal_error":
        allowed = ", ".join(str(a) for a in _literal_choices(error["loc"]))
        return f"{shown} is not allowed (allowed: {allowed})"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}
    bounds |= {"less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        shown_limit = f"{limit:g}" if isinstance(limit, float) else limit
        return f"{shown} is not allowed (must be {bounds[kind]} {shown_limit})"
    return f"{shown} is invalid: {error['msg'].removeprefix('Value error, ')}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    """``('library', 'paths', 0)`` -> ``library.paths[0]``; a bad table key reads ``[key]``."""
    text = ""
    for part in loc:
        if part == "[key]":
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _section(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that holds the last element of ``loc``."""
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _suggest(loc: tuple[int | str, ...]) -> str:
    model = _section(loc)
    known = list(model.model_fields) if model else []
    import difflib  # only for a config with a typo: kept out of the running daemon

    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f" (did you mean '{_dotted((*loc[:-1], close[0]))}'?)"
    return f" (known: {', '.join(known)})" if known else ""


def _literal_choices(loc: tuple[int | str, ...]) -> tuple[object, ...]:
    model = _section(loc)
    field = model.model_fields.get(str(loc[-1])) if model else None
    annotation: Any = field.annotation if field else None
    return typing.get_args(annotation)
