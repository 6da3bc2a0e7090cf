"""One settings object, read from the environment (DESIGN.md section 5)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


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
    api_tokens: str = Field("", validation_alias=AliasChoices("IMVO_API_TOKENS"))
    max_query_depth: int = Field(12, validation_alias="IMVO_MAX_QUERY_DEPTH")
    max_results: int = Field(5000, validation_alias="IMVO_MAX_RESULTS")

    def tokens(self) -> dict[str, str]:
        """``IMVO_API_TOKENS="tokenA=secretariat,tokenB=company:C12"`` as {token: role}."""
        out: dict[str, str] = {}
        for part in self.api_tokens.split(","):
            token, sep, role = part.strip().partition("=")
            if sep and token.strip() and role.strip():
                out[token.strip()] = role.strip()
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
