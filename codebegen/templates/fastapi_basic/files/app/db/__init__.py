"""The SQLite layer: table descriptions (tables.py), value conversion (table.py), queries (crud.py)."""
