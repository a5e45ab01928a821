-- AlterTable
ALTER TABLE "ModelCall" ADD COLUMN     "estimated" BOOLEAN NOT NULL DEFAULT false;
