-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL,
    "label" TEXT,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "requestsPerMinute" INTEGER,
    "tokensPerDay" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Answer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL DEFAULT 'default',
    "imageId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "style" TEXT,
    "prompt" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "promptTokens" INTEGER NOT NULL,
    "completionTokens" INTEGER NOT NULL,
    "totalTokens" INTEGER NOT NULL,
    "cachedTokens" INTEGER NOT NULL DEFAULT 0,
    "latencyMs" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Answer_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Answer" ("cachedTokens", "completionTokens", "createdAt", "id", "imageId", "kind", "latencyMs", "model", "prompt", "promptTokens", "style", "text", "totalTokens") SELECT "cachedTokens", "completionTokens", "createdAt", "id", "imageId", "kind", "latencyMs", "model", "prompt", "promptTokens", "style", "text", "totalTokens" FROM "Answer";
DROP TABLE "Answer";
ALTER TABLE "new_Answer" RENAME TO "Answer";
CREATE INDEX "Answer_tenant_kind_createdAt_id_idx" ON "Answer"("tenant", "kind", "createdAt", "id");
CREATE INDEX "Answer_imageId_kind_createdAt_idx" ON "Answer"("imageId", "kind", "createdAt");
CREATE INDEX "Answer_tenant_kind_model_createdAt_idx" ON "Answer"("tenant", "kind", "model", "createdAt");
CREATE UNIQUE INDEX "Answer_imageId_prompt_model_key" ON "Answer"("imageId", "prompt", "model");
CREATE TABLE "new_Image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL DEFAULT 'default',
    "sha256" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Image" ("byteSize", "createdAt", "height", "id", "mimeType", "sha256", "width") SELECT "byteSize", "createdAt", "height", "id", "mimeType", "sha256", "width" FROM "Image";
DROP TABLE "Image";
ALTER TABLE "new_Image" RENAME TO "Image";
CREATE INDEX "Image_sha256_idx" ON "Image"("sha256");
CREATE INDEX "Image_tenant_createdAt_id_idx" ON "Image"("tenant", "createdAt", "id");
CREATE UNIQUE INDEX "Image_tenant_sha256_key" ON "Image"("tenant", "sha256");
CREATE TABLE "new_Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL DEFAULT 'default',
    "apiKeyId" TEXT,
    "status" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME
);
INSERT INTO "new_Job" ("createdAt", "done", "error", "failed", "finishedAt", "id", "startedAt", "status", "total") SELECT "createdAt", "done", "error", "failed", "finishedAt", "id", "startedAt", "status", "total" FROM "Job";
DROP TABLE "Job";
ALTER TABLE "new_Job" RENAME TO "Job";
CREATE INDEX "Job_status_createdAt_id_idx" ON "Job"("status", "createdAt", "id");
CREATE INDEX "Job_tenant_status_createdAt_id_idx" ON "Job"("tenant", "status", "createdAt", "id");
CREATE INDEX "Job_tenant_createdAt_id_idx" ON "Job"("tenant", "createdAt", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "ApiKey_tenant_idx" ON "ApiKey"("tenant");
