"""Enterprises (doanh nghiệp) and their products."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base
from spcncl_core.search import fold


class Enterprise(Base):
    """An enterprise, identified by its enterprise code (mã số doanh nghiệp, the tax code)."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    # the name folded for accent- and case-insensitive search, kept in step by the listeners below
    name_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    ownership: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    sector: Mapped[str | None] = mapped_column(String(100))

    products: Mapped[list[Product]] = relationship(back_populates="enterprise")


class Product(Base):
    """A product an enterprise makes and registers."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    name_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    sector: Mapped[str | None] = mapped_column(String(100))

    enterprise: Mapped[Enterprise] = relationship(back_populates="products")


@event.listens_for(Enterprise.name, "set")
@event.listens_for(Product.name, "set")
def _keep_name_key(target: Any, value: str | None, _old: Any, _initiator: Any) -> None:
    target.name_key = fold(value)
