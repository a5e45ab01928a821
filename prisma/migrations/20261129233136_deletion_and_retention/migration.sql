-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_JobItem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "imageId" TEXT,
    "kind" TEXT NOT NULL,
    "style" TEXT,
    "prompt" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "answerId" TEXT,
    "errorCode" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "JobItem_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "JobItem_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "JobItem_answerId_fkey" FOREIGN KEY ("answerId") REFERENCES "Answer" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_JobItem" ("answerId", "attempts", "error", "errorCode", "id", "imageId", "jobId", "kind", "position", "prompt", "status", "style") SELECT "answerId", "attempts", "error", "errorCode", "id", "imageId", "jobId", "kind", "position", "prompt", "status", "style" FROM "JobItem";
DROP TABLE "JobItem";
ALTER TABLE "new_JobItem" RENAME TO "JobItem";
CREATE INDEX "JobItem_jobId_status_idx" ON "JobItem"("jobId", "status");
CREATE INDEX "JobItem_answerId_idx" ON "JobItem"("answerId");
CREATE INDEX "JobItem_imageId_idx" ON "JobItem"("imageId");
CREATE UNIQUE INDEX "JobItem_jobId_position_key" ON "JobItem"("jobId", "position");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Answer_createdAt_idx" ON "Answer"("createdAt");

-- CreateIndex
CREATE INDEX "Image_createdAt_idx" ON "Image"("createdAt");

-- CreateIndex
CREATE INDEX "ImagesAnswer_createdAt_idx" ON "ImagesAnswer"("createdAt");

-- CreateIndex
CREATE INDEX "Job_finishedAt_idx" ON "Job"("finishedAt");
