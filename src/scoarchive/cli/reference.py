"""The CLI reference in the README, generated from the commands themselves.

The README's option tables sit between cog markers that call :func:`options_table`; ``cog -r
README.md`` rewrites them from the Typer app, and ``tests/test_readme.py`` runs ``cog --check``
so a table that no longer matches its command fails the suite.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

from scoarchive.cli.main import COMMANDS, app


def _command(name: str) -> Any:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    command = group.commands.get(name)
    if command is None:
        raise KeyError(f"no command {name!r}")
    return command


def _default(option: TyperOption) -> str:
    if option.is_flag and not option.secondary_opts:
        return "on" if option.default else "off"
    if option.secondary_opts:  # --load/--no-load
        return option.opts[0] if option.default else option.secondary_opts[0]
    if option.default is None or option.default == () or option.default == []:
        return ""
    return f"`{option.default}`"


def _placeholder(option: TyperOption) -> str:
    """What stands for an option's value when the command names none: by its Python type."""
    annotation = option.type_descriptor.annotation
    if annotation in (int, float):
        return "N"
    if annotation is Path:
        return "PATH"
    return "TEXT"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def options_table(name: str) -> str:
    """A Markdown table of a command's options: names, meaning, default (as ``--help`` has them)."""
    lines = ["| option | meaning | default |", "| --- | --- | --- |"]
    for param in _command(name).params:
        if not isinstance(param, TyperOption) or param.hidden or param.name == "help":
            continue
        names = " / ".join(param.opts + param.secondary_opts)
        metavar = "" if param.is_flag else f" {param.metavar or _placeholder(param)}"
        help_text = param.help or ""
        default = _default(param)
        if "[default:" in help_text:
            help_text, _, shown = help_text.partition("[default:")
            default = shown.rstrip("]. ").strip()
        lines.append(f"| `{names}{metavar}` | {_cell(help_text)} | {_cell(default)} |")
    return "\n".join(lines)


def usage(name: str) -> str:
    """The command's usage line and one-line summary."""
    command = _command(name)
    with command.make_context(f"scoarchive {name}", [], resilient_parsing=True) as context:
        line = command.get_usage(context).removeprefix("Usage: ")
    summary = (command.help or "").strip().splitlines()[0] if command.help else ""
    return f"`{line}`: {summary}"


# The floors of the house, bottom up, as pyproject.toml's import-linter contract declares them.
FLOORS = (
    "core", "warc", "capture", "extract", "warehouse", "resolve", "service", "briefing",
    "upkeep", "orchestration", "cli", "flows", "replica",
)  # fmt: skip


def _summary(path: Path) -> str:
    """The first sentence of a module's docstring (its first paragraph, on one line)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.strip().split("\n\n")[0].split()).replace("``", "`")


def module_table() -> str:
    """A Markdown table of every module, floor by floor, with what its docstring says it is for."""
    lines = ["| module | what it is for |", "| --- | --- |"]
    for floor in FLOORS:
        spec = importlib.util.find_spec(f"scoarchive.{floor}")
        assert spec is not None and spec.submodule_search_locations is not None
        package = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(package.rglob("*.py"), key=lambda p: (p.name != "__init__.py", str(p))):
            parts = path.relative_to(package).with_suffix("").parts
            name = ".".join((floor, *parts)).removesuffix(".__init__")
            lines.append(f"| `{name}` | {_cell(_summary(path))} |")
    return "\n".join(lines)


def commands_table() -> str:
    """A Markdown table of every command with the first line of its help."""

    lines = ["| command | what it does |", "| --- | --- |"]
    for name, _ in COMMANDS:
        lines.append(f"| `scoarchive {name}` | {_cell(usage(name).split(': ', 1)[1])} |")
    return "\n".join(lines)
