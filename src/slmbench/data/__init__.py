"""The EdgeJSON benchmark: schemas, generator, validator and dataset readers (no model code)."""

from slmbench.data.rows import Row, read_rows, write_rows
from slmbench.data.schemas import TIERS, SchemaInfo, load_schemas

__all__ = ["TIERS", "Row", "SchemaInfo", "load_schemas", "read_rows", "write_rows"]
