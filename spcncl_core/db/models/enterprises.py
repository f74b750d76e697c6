"""Enterprises (doanh nghiệp) and their products."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spcncl_core.db.base import Base


class Enterprise(Base):
    """An enterprise, identified by its enterprise code (mã số doanh nghiệp, the tax code)."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    ownership: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(100))

    products: Mapped[list[Product]] = relationship(back_populates="enterprise")


class Product(Base):
    """A product an enterprise makes and registers."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    name: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str | None] = mapped_column(String(100))

    enterprise: Mapped[Enterprise] = relationship(back_populates="products")
