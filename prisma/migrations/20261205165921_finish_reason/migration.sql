-- AlterTable
ALTER TABLE "Answer" ADD COLUMN "finishReason" TEXT;

-- AlterTable
ALTER TABLE "ImagesAnswer" ADD COLUMN "finishReason" TEXT;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "finishReason" TEXT;
