-- AlterTable
ALTER TABLE "Answer" ADD COLUMN "categories" TEXT;
ALTER TABLE "Answer" ADD COLUMN "flagged" BOOLEAN;
