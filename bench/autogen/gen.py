#!/usr/bin/env python3
"""Generates the 100-table schema of the autogenerate benchmark (BENCHMARKS.md, "Autogenerate")
twice, as cargo-migrate models (Rust, `#[derive(Model)]`) and as SQLAlchemy declarative models
for Alembic: N tables t000..t099, each with 8 columns (id, a foreign key to the previous table,
six of varied types), 2 indexes and 1 foreign key.

    gen.py N RUST_MODELS_RS PYTHON_MODELS_PY
"""
import sys

n = int(sys.argv[1])
rust = ["use migrate_macros::Model;\n"]
py = [
    "import sqlalchemy as sa",
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column",
    "from typing import Optional",
    "",
    "class Base(DeclarativeBase):",
    "    pass",
    "",
]
for i in range(n):
    t = f"t{i:03d}"
    parent = f"t{i - 1:03d}" if i > 0 else t
    rust.append(f"""#[derive(Model)]
#[model(table = "{t}", index(name = "ix_{t}_name_code", columns("name", "code")))]
pub struct T{i:03d} {{
    #[model(primary_key, auto_increment)]
    pub id: i64,
    #[model(references = "{parent}(id)")]
    pub parent_id: Option<i64>,
    #[model(length = 100, index = "ix_{t}_name")]
    pub name: String,
    pub code: i32,
    pub note: Option<String>,
    #[model(default = "0")]
    pub amount: i64,
    pub ratio: Option<f64>,
    pub active: bool,
}}
""")
    py.append(f"""class T{i:03d}(Base):
    __tablename__ = "{t}"
    __table_args__ = (sa.Index("ix_{t}_name_code", "name", "code"),)
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.BigInteger, sa.ForeignKey("{parent}.id"))
    name: Mapped[str] = mapped_column(sa.String(100), index=False)
    code: Mapped[int] = mapped_column(sa.Integer)
    note: Mapped[Optional[str]] = mapped_column(sa.Text)
    amount: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    ratio: Mapped[Optional[float]] = mapped_column(sa.Float)
    active: Mapped[bool] = mapped_column(sa.Boolean)
sa.Index("ix_{t}_name", T{i:03d}.name)
""")
models = ", ".join(f"models::T{i:03d}" for i in range(n))
open(sys.argv[2], "w").write("\n".join(rust))
open(sys.argv[3], "w").write("\n".join(py) + "\n")
print(models)
