-- AlterTable
ALTER TABLE "Answer" ADD COLUMN     "categories" TEXT,
ADD COLUMN     "flagged" BOOLEAN;
