"""marshmallow schemas for the parameters of the built-in rule kinds and conditions.

Imported only when criteria sets are validated, so that evaluating with a cached catalog does not pay for
importing marshmallow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from spcncl_core.criteria.number_field import Number


def decimal_or_none(value: Any) -> Decimal | None:
    """The value as a Decimal the way marshmallow reads numbers, or None when it is not a number."""
    try:
        return Number().deserialize(value)
    except ValidationError:
        return None


class Level(Schema):
    gte = Number()
    gt = Number()
    points = Number(required=True)

    @validates_schema
    def _one_threshold(self, data: dict[str, Any], **_: Any) -> None:
        if ("gte" in data) == ("gt" in data):
            raise ValidationError("needs exactly one of gte or gt")


class Bands(Schema):
    of = fields.String(required=True)
    levels = fields.List(fields.Nested(Level), required=True, validate=lambda v: _non_empty(v))


def _non_empty(value: list[Any]) -> None:
    if not value:
        raise ValidationError("must not be empty")


class Choice(Schema):
    of = fields.String(required=True)
    points = fields.Dict(keys=fields.String(), values=Number(), required=True)


class Boolean(Schema):
    of = fields.String(required=True)
    points = Number(required=True)
    when = fields.Boolean(load_default=True)


class Point(Schema):
    value = Number(required=True)
    points = Number(required=True)


class Linear(Schema):
    of = fields.String(required=True)
    from_ = fields.Nested(Point, required=True, data_key="from")
    to = fields.Nested(Point, required=True)


class ConditionSchema(Schema):
    """`of` and exactly one operator: gte, gt, lte, lt (numbers), is (a value), in (choices), between [lo, hi]."""

    of = fields.String(required=True)
    gte = Number()
    gt = Number()
    lte = Number()
    lt = Number()
    is_ = fields.Raw(data_key="is")
    in_ = fields.List(fields.String(), data_key="in")
    between = fields.List(Number(), validate=lambda v: _pair(v))


def _pair(value: list[Decimal]) -> None:
    if len(value) != 2 or value[0] > value[1]:
        raise ValidationError("must be [low, high] with low ≤ high")




BANDS = Bands()
CHOICE = Choice()
BOOLEAN = Boolean()
LINEAR = Linear()
CONDITION = ConditionSchema()
