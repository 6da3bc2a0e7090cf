"""One settings object, read from the environment (docs/configuration.md).

Every layer may read settings through its caller, but only the edges (the
command line and the API app) call :func:`get_settings`; the store takes plain
arguments (:meth:`Settings.store_options`).  A bad value is a
:class:`~imvo.kernel.errors.ConfigError` with one line naming the variable.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError
from .tokens import TokenEntry, parse_tokens

__all__ = ["Settings", "get_settings", "load_settings"]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "imvo"


class Settings(BaseSettings):
    """Settings from environment variables (names fixed by the design)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    store: Literal["embedded", "neo4j"] = Field("embedded", validation_alias="IMVO_STORE")
    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias="IMVO_DATA_DIR")
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", validation_alias="NEO4J_URI")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER")
    neo4j_password: str = Field("", validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field("neo4j", validation_alias="NEO4J_DATABASE")
    neo4j_timeout: float = Field(1.5, gt=0, le=120, validation_alias="IMVO_NEO4J_TIMEOUT")
    api_tokens: str = Field("", validation_alias=AliasChoices("IMVO_API_TOKENS"))
    session_secret: str = Field("", validation_alias="IMVO_SESSION_SECRET")
    max_query_depth: int = Field(12, ge=1, le=50, validation_alias="IMVO_MAX_QUERY_DEPTH")
    max_results: int = Field(5000, ge=1, validation_alias="IMVO_MAX_RESULTS")
    # cost limits of one API request (docs/security.md#cost-limits)
    request_timeout: float = Field(10.0, gt=0, le=3600, validation_alias="IMVO_REQUEST_TIMEOUT")
    max_body_bytes: int = Field(1_000_000, ge=1024, validation_alias="IMVO_MAX_BODY_BYTES")
    max_query_cost: int = Field(1_000_000, ge=1, validation_alias="IMVO_MAX_QUERY_COST")
    max_result_nodes: int = Field(200_000, ge=1, validation_alias="IMVO_MAX_RESULT_NODES")
    # the audit log (docs/security.md#audit-log)
    audit_log: str = Field("", validation_alias="IMVO_AUDIT_LOG")
    audit_max_bytes: int = Field(20_000_000, ge=10_000, validation_alias="IMVO_AUDIT_MAX_BYTES")
    audit_backups: int = Field(10, ge=0, le=1000, validation_alias="IMVO_AUDIT_BACKUPS")

    @field_validator("store", mode="before")
    @classmethod
    def _store_lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    def tokens(self) -> dict[str, str]:
        """``IMVO_API_TOKENS="tokenA=secretariat,tokenB=company:C12"`` as {token: role}."""
        out: dict[str, str] = {}
        for part in self.api_tokens.split(","):
            token, sep, role = part.strip().partition("=")
            if sep and token.strip() and role.strip():
                out[token.strip()] = role.strip()
        return out

    def token_entries(self) -> list[TokenEntry]:
        """The tokens of ``IMVO_API_TOKENS`` (:mod:`imvo.kernel.tokens`), kept as hashes with names."""
        try:
            return parse_tokens(self.api_tokens)
        except ValueError as exc:
            raise ConfigError(f"IMVO_API_TOKENS: {exc}") from None

    def audit_path(self) -> Path | None:
        """The audit log file: ``IMVO_AUDIT_LOG``, by default ``$IMVO_DATA_DIR/audit/audit.jsonl``;
        ``off`` writes none."""
        value = self.audit_log.strip()
        if value.lower() == "off":
            return None
        return Path(value).expanduser() if value else self.data_dir / "audit" / "audit.jsonl"

    def store_options(self) -> dict[str, Any]:
        """The plain arguments of :func:`imvo.graph.open_store` these settings select."""
        return {"kind": self.store, "data_dir": self.data_dir, "neo4j_uri": self.neo4j_uri,
                "neo4j_user": self.neo4j_user, "neo4j_password": self.neo4j_password,
                "neo4j_database": self.neo4j_database, "timeout": self.neo4j_timeout}


_NAMES = {name: str(f.validation_alias) if isinstance(f.validation_alias, str) else
          (f.validation_alias.choices[0] if isinstance(f.validation_alias, AliasChoices) else name)
          for name, f in Settings.model_fields.items()}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and ``overrides``); a bad value -> one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "?"
        name = _NAMES.get(field, field)
        value = first.get("input")
        msg = first.get("msg", "invalid value")
        if first.get("type") == "literal_error":
            msg = f"expected {first.get('ctx', {}).get('expected', 'another value')}"
        raise ConfigError(f"{name}={value!r} is not valid: {msg}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return load_settings()
