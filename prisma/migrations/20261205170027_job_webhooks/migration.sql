-- CreateTable
CREATE TABLE "JobWebhook" (
    "jobId" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "nextAttemptAt" DATETIME,
    "deliveredAt" DATETIME,
    CONSTRAINT "JobWebhook_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "JobWebhook_deliveredAt_nextAttemptAt_idx" ON "JobWebhook"("deliveredAt", "nextAttemptAt");
