"""Site profiles: which hosts to crawl, which links to follow, what identifies an article.

Profiles are TOML data so that adding a site is a configuration change. The packaged
profiles live in ``scoarchive/profiles/``; any other TOML file can be named by its path.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scoarchive.core.urls import DEFAULT_PORTS, InvalidURL, canonical_host, canonicalize, split_http_url


class ProfileError(ValueError):
    """A profile that cannot be found or does not validate."""


class Action(StrEnum):
    FOLLOW = "follow"
    CAPTURE = "capture"
    REQUISITE = "requisite"
    IGNORE = "ignore"


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    pattern: str
    action: Action

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class Politeness(BaseModel):
    model_config = ConfigDict(frozen=True)
    delay: float = Field(1.0, ge=0)
    host_concurrency: int = Field(2, ge=1)


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)
    pattern: str = Field(description="regex on the path with named groups 'id' and optionally 'date'")
    current_path: str | None = Field(None, description="the article's address today, e.g. /{date}/{id}.html")

    @field_validator("pattern")
    @classmethod
    def _has_id_group(cls, value: str) -> str:
        try:
            groups = re.compile(value).groupindex
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        if "id" not in groups:
            raise ValueError("identity pattern needs a named group 'id'")
        return value


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    description: str = ""
    hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    tracking_params: tuple[str, ...] = ()
    languages: dict[str, str] = {}
    politeness: Politeness = Politeness()
    rules: tuple[Rule, ...]
    identity: Identity | None = None

    @field_validator("hosts")
    @classmethod
    def _lower_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(host.lower() for host in value)

    @cached_property
    def _compiled_rules(self) -> list[tuple[re.Pattern[str], Rule]]:
        return [(re.compile(rule.pattern), rule) for rule in self.rules]

    def host(self, host: str) -> str:
        """A host as the profile files it: case, a trailing dot and ``www.`` before one of its
        hosts make no difference (``WWW.eng.sectsco.org.`` is ``eng.sectsco.org``)."""
        return canonical_host(host, self.hosts)

    def canonicalize(self, url: str) -> str:
        return canonicalize(url, self.tracking_params, self.hosts)

    def in_scope(self, url: str) -> bool:
        """True when the URL is on one of the profile's hosts, on its scheme's default port.

        The egress policy of every fetch (``scoarchive.capture.egress``): a redirect or a link to
        the profile's host on another port is off scope.
        """
        try:
            scheme, host, port, _ = split_http_url(url)
        except InvalidURL:
            return False
        return self.host(host) in self.hosts and port == DEFAULT_PORTS[scheme]

    def action_for(self, url: str) -> Action:
        """What the crawler does with an in-scope URL; IGNORE for anything off-scope or unmatched."""
        if not self.in_scope(url):
            return Action.IGNORE
        _, _, _, path_and_query = split_http_url(url)
        for pattern, rule in self._compiled_rules:
            if pattern.search(path_and_query):
                return rule.action
        return Action.IGNORE

    def article_key(self, url: str) -> str | None:
        """``host/ID`` for an article address in any of its historical forms, else None."""
        if self.identity is None or not self.in_scope(url):
            return None
        _, host, _, path_and_query = split_http_url(url)
        match = re.match(self.identity.pattern, path_and_query.split("?", 1)[0])
        return f"{self.host(host)}/{match.group('id')}" if match else None

    def current_url(self, url: str) -> str | None:
        """The address an article has on the site today, from any of its historical forms."""
        if self.identity is None or self.identity.current_path is None or not self.in_scope(url):
            return None
        scheme, host, port, path_and_query = split_http_url(url)
        match = re.match(self.identity.pattern, path_and_query.split("?", 1)[0])
        if match is None:
            return None
        path = self.identity.current_path.format(**match.groupdict())
        return self.canonicalize(f"{scheme}://{host}:{port}{path}")

    def language_of(self, url: str) -> str | None:
        try:
            _, host, _, _ = split_http_url(url)
        except InvalidURL:
            return None
        return self.languages.get(self.host(host))


def available_profiles() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files("scoarchive.core").joinpath("profiles").iterdir()
        if entry.name.endswith(".toml")
    )


def load_profile(name_or_path: str) -> Profile:
    """A packaged profile by name (``sco``) or any profile TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        resource = resources.files("scoarchive.core").joinpath("profiles").joinpath(f"{name_or_path}.toml")
        if not resource.is_file():
            known = ", ".join(available_profiles())
            raise ProfileError(
                f"unknown profile {name_or_path!r} (known: {known}; or a path to a .toml file)"
            )
        text = resource.read_text(encoding="utf-8")
    try:
        return Profile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name_or_path!r} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(f"profile {name_or_path!r}: {where}: {first['msg']}") from None
