-- CreateTable
CREATE TABLE "JobWebhook" (
    "jobId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "nextAttemptAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "JobWebhook_pkey" PRIMARY KEY ("jobId")
);

-- CreateIndex
CREATE INDEX "JobWebhook_deliveredAt_nextAttemptAt_idx" ON "JobWebhook"("deliveredAt", "nextAttemptAt");

-- AddForeignKey
ALTER TABLE "JobWebhook" ADD CONSTRAINT "JobWebhook_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
