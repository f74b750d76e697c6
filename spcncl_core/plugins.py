"""The plugin manager factory: built-in plugins first, then the `spcncl` entry points, then a check for
misspelt hooks. Nothing happens at import time."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable
from importlib.metadata import entry_points

import pluggy

from spcncl_core import hookspecs
from spcncl_core.errors import PluginError

ENTRY_POINT_GROUP = "spcncl"
BLOCK_ENV = "SPCNCL_BLOCK_PLUGINS"
# (name, module): registered in this order, before any entry-point plugin, so a province can override them.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "spcncl_core.builtins"),
    ("hanoi", "spcncl_plugins.hanoi"),
)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each plugin came from (built in, or which distribution)."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.origins: dict[str, str] = {}


def blocked_from_env() -> set[str]:
    """Plugin names listed in SPCNCL_BLOCK_PLUGINS (separated by commas or spaces)."""
    return {name for name in re.split(r"[,\s]+", os.environ.get(BLOCK_ENV, "")) if name}


def get_plugin_manager(*, entry_points_too: bool = True, block: Iterable[str] = ()) -> PluginManager:
    """Build a plugin manager with the built-in plugins and (unless told not to) the `spcncl` entry points.

    Plugins named in `block` or in the SPCNCL_BLOCK_PLUGINS environment variable are not loaded. A plugin that
    fails to import, or implements a hook wrongly, raises PluginError naming it.
    """
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for name in {*blocked_from_env(), *block}:
        pm.set_blocked(name)
    for name, module_name in BUILTIN_PLUGINS:
        if pm.is_blocked(name):
            continue
        module = importlib.import_module(module_name)
        _register(pm, module, name, f"built in ({module_name})")
    if entry_points_too:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if pm.is_blocked(ep.name):
                continue
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"
            if pm.has_plugin(ep.name):
                raise PluginError(f"plugin '{ep.name}' from {dist} clashes with plugin '{ep.name}' "
                                  f"({pm.origins[ep.name]}); block one with {BLOCK_ENV}={ep.name} or rename it")
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import error must name the plugin
                raise PluginError(f"plugin '{ep.name}' ({ep.value}, from {dist}) failed to load: "
                                  f"{type(exc).__name__}: {exc}; fix or uninstall it, or block it with "
                                  f"{BLOCK_ENV}={ep.name}") from exc
            _register(pm, plugin, ep.name, f"entry point {ep.value} ({dist})")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin '{name}' implements an unknown hook: {exc}; check the hook's spelling against "
                          "docs/plugins.md") from exc
    return pm


def _register(pm: PluginManager, plugin: object, name: str, origin: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{name}' ({origin}) is invalid: {exc}") from exc
    except ValueError as exc:
        raise PluginError(f"plugin '{name}' ({origin}) cannot be registered: {exc}") from exc
    pm.origins[name] = origin
