-- AlterTable
ALTER TABLE "ResultTally" ALTER COLUMN "tokensSaved" SET DATA TYPE BIGINT;
