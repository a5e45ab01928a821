-- AlterTable
ALTER TABLE "ResultTally" ADD COLUMN "match" TEXT;
