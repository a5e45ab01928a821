-- AlterTable (a column with a default needs no table rebuild in SQLite)
ALTER TABLE "ModelCall" ADD COLUMN "estimated" BOOLEAN NOT NULL DEFAULT false;
