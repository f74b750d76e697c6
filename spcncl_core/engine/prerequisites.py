"""Prerequisite checks. The built-in check is a condition on one input; plugins register others by name and a
criteria set uses them as `rule: {check: NAME, …parameters}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from spcncl_core.engine.conditions import Condition, compile_condition, parse_condition
from spcncl_core.engine.context import CheckFn, RuleContext, join_path
from spcncl_core.errors import did_you_mean


class PrerequisiteCheck:
    """Base of a prerequisite check kind. Subclasses set `name` and implement parse, compile and describe."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def parse(self, params: Mapping[str, Any], path: str, ctx: RuleContext) -> Any | None:
        """Validate the check's parameters (the rule without its `check` key); None when invalid."""
        raise NotImplementedError

    def compile(self, rule: Any) -> CheckFn:
        """Return a function of the dossier's values giving (passed, message)."""
        raise NotImplementedError

    def describe(self, rule: Any) -> str:
        """The check in one line."""
        raise NotImplementedError


class ConditionCheck(PrerequisiteCheck):
    """The default: a condition on one input, e.g. `{of: years_in_production, gte: 3}`."""

    name = "condition"
    description = "{of, gte|gt|lte|lt|is|in|between}: a condition on one input"

    def parse(self, params: Mapping[str, Any], path: str, ctx: RuleContext) -> Condition | None:
        return parse_condition(params, path, ctx)

    def compile(self, rule: Condition) -> CheckFn:
        return compile_condition(rule)

    def describe(self, rule: Condition) -> str:
        return rule.describe()


def parse_prerequisite_rule(raw: Any, path: str, ctx: RuleContext) -> tuple[PrerequisiteCheck, Any] | None:
    """Pick the check kind (`check:` or the default condition) and parse the rule with it."""
    checks = ctx.registries.prerequisite_checks
    if not isinstance(raw, Mapping):
        ctx.problem(path, "must be a mapping such as {of: hanoi_site, is: true}")
        return None
    name = str(raw.get("check", "condition"))
    check = checks.get(name)
    if check is None:
        ctx.problem(join_path(path, "check"), f"unknown prerequisite check '{name}'{did_you_mean(name, checks)}; "
                                              f"known checks: {', '.join(checks)}")
        return None
    rule = check.parse({k: v for k, v in raw.items() if k != "check"}, path, ctx)
    return None if rule is None else (check, rule)


BUILTIN_PREREQUISITE_CHECKS: tuple[PrerequisiteCheck, ...] = (ConditionCheck(),)
