-- Trigram indexes for the substring search of stored results (filter
-- textContains and promptContains), only where pg_trgm can be installed:
-- without it the search still works, reading the tenant's rows of one kind.
-- The extension goes to "public", where every schema of the database can use
-- it, and the operator class is named with the schema it is found in.
-- Written by hand. Prisma's engine splits a script at every semicolon, so the
-- block is an E'' string whose semicolons are spelled \073.
DO E'
DECLARE
  trgm text\073
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public\073
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE ''pg_trgm is not available (%): substring search runs without a trigram index'', SQLERRM\073
  END\073
  SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ''pg_trgm''\073
  IF trgm IS NOT NULL THEN
    EXECUTE format(''CREATE INDEX IF NOT EXISTS "Answer_text_trgm_idx" ON "Answer" USING GIN ("text" %I.gin_trgm_ops)'', trgm)\073
    EXECUTE format(''CREATE INDEX IF NOT EXISTS "Answer_prompt_trgm_idx" ON "Answer" USING GIN ("prompt" %I.gin_trgm_ops)'', trgm)\073
  END IF\073
END';
