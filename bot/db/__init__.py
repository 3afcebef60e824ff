"""Storage adapter: sqlmodel tables, repositories, the unit of work and migrations."""
