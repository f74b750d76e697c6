"""The plugin manager factory: built-in plugins first, then the `spcncl` entry points, then a check for
misspelt hooks. Nothing happens at import time."""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from types import CodeType, TracebackType
from typing import Any

import pluggy

from spcncl_core import hookspecs
from spcncl_core.errors import MAX_EXCERPT, PluginError, SpcnclError, cut

ENTRY_POINT_GROUP = "spcncl"
BLOCK_ENV = "SPCNCL_BLOCK_PLUGINS"
TRACE_ENV = "SPCNCL_TRACE_PLUGINS"
log = logging.getLogger("spcncl.plugins")
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
                                  f"{type(exc).__name__}: {cut(str(exc), MAX_EXCERPT * 5)}; fix or uninstall it, "
                                  "or block it with "
                                  f"{BLOCK_ENV}={ep.name}") from exc
            _register(pm, plugin, ep.name, f"entry point {ep.value} ({dist})")
    if os.environ.get(TRACE_ENV, "").lower() not in ("", "0", "off", "no", "false"):
        pm.trace.root.setwriter(lambda text: sys.stderr.write(f"spcncl trace: {text}"))
        pm.enable_tracing()
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin '{name}' implements an unknown hook: {exc}; check the hook's spelling against "
                          f"docs/plugins.md, or block it with {BLOCK_ENV}={name}") from exc
    return pm


def _register(pm: PluginManager, plugin: object, name: str, origin: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{name}' ({origin}) is invalid: {exc}; fix it, or block it with "
                          f"{BLOCK_ENV}={name}") from exc
    except ValueError as exc:
        raise PluginError(f"plugin '{name}' ({origin}) cannot be registered: {exc}; block one of the plugins with "
                          f"{BLOCK_ENV}={name} or rename it") from exc
    pm.origins[name] = origin


def _impl_codes(pm: pluggy.PluginManager, hook_name: str) -> dict[CodeType, str]:
    codes: dict[CodeType, str] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        code = getattr(impl.function, "__code__", None)
        if code is not None:
            codes.setdefault(code, impl.plugin_name)
    return codes


def calling_plugin(codes: dict[CodeType, str]) -> Callable[[], str | None]:
    """A function naming the plugin whose hook implementation is running (found on the call stack), for the
    registries to attribute what is added while pluggy calls every implementation in one hook call."""
    def find() -> str | None:
        frame = inspect.currentframe()
        while frame is not None:
            name = codes.get(frame.f_code)
            if name is not None:
                return name
            frame = frame.f_back
        return None

    return find


def _failing_plugin(codes: dict[CodeType, str], tb: TracebackType | None) -> str | None:
    found = None
    while tb is not None:  # the innermost implementation on the traceback is the one that raised
        found = codes.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


def call_hook(pm: pluggy.PluginManager, hook_name: str, owner_of: Any = None, **kwargs: Any) -> Any:
    """Call a hook through pluggy (so wrappers and tracing work), keyword arguments only.

    An exception from any implementation becomes a PluginError naming the plugin and the hook, with the
    SPCNCL_BLOCK_PLUGINS hint; the project's own errors raised by a plugin keep their kind. `owner_of`, a
    registry, is told which plugin is adding while the call runs.
    """
    codes = _impl_codes(pm, hook_name)
    log.debug("calling %s (%d implementations)", hook_name, len(codes))
    try:
        if owner_of is None:
            return getattr(pm.hook, hook_name)(**kwargs)
        order = {name: i for i, (name, _) in enumerate(pm.list_name_plugin())}
        owner_of.settle(order)  # before the call too, so that a clash names the earlier plugin first
        with owner_of.owned_by(calling_plugin(codes)):
            result = getattr(pm.hook, hook_name)(**kwargs)
        owner_of.settle(order)
        return result
    except SpcnclError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's own bug must name the plugin and the hook
        name = _failing_plugin(codes, exc.__traceback__) or "(unknown)"
        log.error("plugin '%s' failed in %s: %s", name, hook_name, type(exc).__name__)
        raise PluginError(f"plugin '{name}' failed in {hook_name}: {type(exc).__name__}: "
                          f"{cut(str(exc), MAX_EXCERPT * 5)}; fix or uninstall it, or block it with "
                          f"{BLOCK_ENV}={name}") from exc
