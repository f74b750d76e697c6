"""marshmallow schemas for the structure of a criteria-set document (docs/criteria-sets.md describes it).

Structure only: types, required keys, unknown keys, allowed values. Meaning (sums, references, band order, rule
parameters) is checked by the loader and the rule kinds, which know the registries.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from spcncl_core.criteria.model import INPUT_TYPES, PROVENANCES
from spcncl_core.criteria.number_field import Number

ID = validate.Regexp(r"^[^\W\d][\w.\-]*$", error="must start with a letter and hold only letters, digits, _ . -")
SET_ID = validate.Regexp(r"^[a-z0-9][a-z0-9.\-]*$", error="must be lower-case letters, digits, '.' and '-'")
PASS_OPERATORS = (">", ">=", "≥")
# identifiers are stored in the records' columns: criterion and prerequisite ids, product groups and jurisdictions in
# VARCHAR(40), set ids in VARCHAR(80) (tests/test_records_validation.py checks the two agree)
ID_MAX, SET_ID_MAX = 40, 80
ID_CHECK = [ID, validate.Length(min=1, max=ID_MAX)]
GROUP_CHECK = [SET_ID, validate.Length(min=1, max=ID_MAX)]
SET_ID_CHECK = [SET_ID, validate.Length(min=1, max=SET_ID_MAX)]


def _needs_vi(value: dict[str, str]) -> None:
    if "vi" not in value:
        raise ValidationError("needs a Vietnamese text under 'vi'")


def Label(**kwargs: Any) -> fields.Dict:  # noqa: N802 - reads as a field type
    """A text in several languages, e.g. {vi: "Kinh tế", en: "Economy"}; Vietnamese is required."""
    return fields.Dict(keys=fields.String(validate=validate.Length(min=2, max=5)), values=fields.String(),
                       validate=_needs_vi, **kwargs)


class InputSchema(Schema):
    id = fields.String(required=True, validate=ID)
    type = fields.String(required=True, validate=validate.OneOf(INPUT_TYPES))
    label = Label(required=True)
    unit = fields.String()
    min = Number()
    max = Number()
    options = fields.List(fields.String(validate=ID))
    required = fields.Boolean(load_default=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("type") in ("choice", "set") and not data.get("options"):
            raise ValidationError("a choice or set input needs options", "options")
        if data.get("type") not in ("choice", "set") and "options" in data:
            raise ValidationError("only choice and set inputs take options", "options")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError("must be ≥ min", "max")


class DerivedSchema(Schema):
    id = fields.String(required=True, validate=ID)
    function = fields.String(required=True)
    args = fields.List(fields.Raw(), required=True)
    label = Label(required=True)


class PrerequisiteSchema(Schema):
    id = fields.String(required=True, validate=ID_CHECK)
    title = Label(required=True)
    rule = fields.Raw(required=True)


class CriterionSchema(Schema):
    id = fields.String(required=True, validate=ID_CHECK)
    title = Label(required=True)
    max_points = Number(required=True, validate=validate.Range(min=0, min_inclusive=False))
    score = fields.Raw(required=True)
    guidance = Label()
    when_undefined = Number(validate=validate.Range(min=0))


class GroupSchema(Schema):
    """A group holds criteria, sub-groups, or both (criteria first); `max_points` is checked against its children,
    or cuts their sum with `cap: true`."""

    id = fields.String(required=True, validate=ID_CHECK)
    title = Label(required=True)
    criteria = fields.List(fields.Nested(CriterionSchema), load_default=list)
    groups = fields.List(fields.Nested(lambda: GroupSchema()), load_default=list)
    max_points = Number(validate=validate.Range(min=0, min_inclusive=False))
    cap = fields.Boolean(load_default=False)

    @validates_schema
    def _children(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("criteria") and not data.get("groups") and "criteria" in data and "groups" in data:
            raise ValidationError("a group needs at least one criterion or sub-group", "criteria")
        if data.get("cap") and "max_points" not in data:
            raise ValidationError("a group that caps needs its max_points", "cap")


class YearsSchema(Schema):
    from_ = fields.Integer(required=True, data_key="from", strict=True, validate=validate.Range(1990, 2200))
    to = fields.Integer(allow_none=True, load_default=None, strict=True, validate=validate.Range(1990, 2200))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("to") is not None and data.get("from_") is not None and data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")


class ClassSchema(Schema):
    """A result class: `{id, label, points, operator: ">=", recognised}`; classes are listed highest first."""

    id = fields.String(required=True, validate=ID_CHECK)
    label = Label(required=True)
    operator = fields.String(load_default=">=", validate=validate.OneOf(PASS_OPERATORS))
    points = Number(required=True, validate=validate.Range(min=0))
    recognised = fields.Boolean(required=True)


class RoundingSchema(Schema):
    digits = fields.Integer(required=True, strict=True, validate=validate.Range(0, 6))
    at = fields.String(load_default="total", validate=validate.OneOf(("total", "criterion")))


class TieBreakSchema(Schema):
    by = fields.String(required=True, validate=validate.OneOf(("subtotal", "submitted_at")))
    group = fields.String()

    @validates_schema
    def _group(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("by") == "subtotal" and not data.get("group"):
            raise ValidationError("a subtotal tie-break names its group", "group")


class RemoveSchema(Schema):
    inputs = fields.List(fields.String())
    derived = fields.List(fields.String())
    prerequisites = fields.List(fields.String())
    groups = fields.List(fields.String())
    criteria = fields.List(fields.String())


class CriteriaSetSchema(Schema):
    """The whole document. `remove` is only meaningful with `extends`."""

    id = fields.String(required=True, validate=SET_ID_CHECK)
    extends = fields.String(allow_none=True, load_default=None)
    title = Label(required=True)
    jurisdiction = fields.String(required=True, validate=GROUP_CHECK)
    years = fields.Nested(YearsSchema, required=True)
    product_group = fields.String(required=True, validate=GROUP_CHECK)
    provenance = fields.String(required=True, validate=validate.OneOf(PROVENANCES))
    official_parts = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    legal_basis = fields.List(fields.String(), load_default=list)
    notes = Label(load_default=dict)
    total_points = Number(required=True, validate=validate.Range(min=0, min_inclusive=False))
    pass_ = fields.Raw(load_default=None, data_key="pass")  # checked by the loader: a condition or all/any
    classes = fields.List(fields.Nested(ClassSchema), load_default=list)
    top = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
    tie_breaks = fields.List(fields.Nested(TieBreakSchema), load_default=list)
    aggregation = fields.String(required=True)
    rounding = fields.Raw(load_default=2)  # digits, or {digits, at: total|criterion}; checked by the loader
    score_step = Number(load_default=None, allow_none=True, validate=validate.Range(min=0, min_inclusive=False))
    recognition_years = fields.Integer(load_default=None, allow_none=True, strict=True,
                                       validate=validate.Range(min=1))
    comment_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    inputs = fields.List(fields.Nested(InputSchema), load_default=list)
    derived = fields.List(fields.Nested(DerivedSchema), load_default=list)
    prerequisites = fields.List(fields.Nested(PrerequisiteSchema), load_default=list)
    groups = fields.List(fields.Nested(GroupSchema), required=True, validate=validate.Length(min=1))
    remove = fields.Nested(RemoveSchema)
