-- DropForeignKey
ALTER TABLE "JobItem" DROP CONSTRAINT "JobItem_imageId_fkey";

-- AlterTable
ALTER TABLE "JobItem" ALTER COLUMN "imageId" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "Answer_createdAt_idx" ON "Answer"("createdAt");

-- CreateIndex
CREATE INDEX "Image_createdAt_idx" ON "Image"("createdAt");

-- CreateIndex
CREATE INDEX "ImagesAnswer_createdAt_idx" ON "ImagesAnswer"("createdAt");

-- CreateIndex
CREATE INDEX "Job_finishedAt_idx" ON "Job"("finishedAt");

-- CreateIndex
CREATE INDEX "JobItem_imageId_idx" ON "JobItem"("imageId");

-- AddForeignKey
ALTER TABLE "JobItem" ADD CONSTRAINT "JobItem_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE SET NULL ON UPDATE CASCADE;
