-- Nothing for SQLite: its substring search (instr) cannot use an index. The
-- folder keeps both databases' migration lists alike; PostgreSQL's adds
-- pg_trgm indexes.
SELECT 1;
