-- CreateTable
CREATE TABLE "ModelCall" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL,
    "apiKeyId" TEXT,
    "model" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "promptTokens" INTEGER NOT NULL,
    "completionTokens" INTEGER NOT NULL,
    "totalTokens" INTEGER NOT NULL,
    "cachedTokens" INTEGER NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ResultTally" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL,
    "apiKeyId" TEXT,
    "model" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "results" INTEGER NOT NULL,
    "cacheHits" INTEGER NOT NULL,
    "tokensSaved" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL,
    "label" TEXT,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "requestsPerMinute" INTEGER,
    "tokensPerDay" INTEGER,
    "admin" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME
);
INSERT INTO "new_ApiKey" ("createdAt", "hash", "id", "label", "prefix", "requestsPerMinute", "revokedAt", "tenant", "tokensPerDay") SELECT "createdAt", "hash", "id", "label", "prefix", "requestsPerMinute", "revokedAt", "tenant", "tokensPerDay" FROM "ApiKey";
DROP TABLE "ApiKey";
ALTER TABLE "new_ApiKey" RENAME TO "ApiKey";
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");
CREATE INDEX "ApiKey_tenant_idx" ON "ApiKey"("tenant");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ModelCall_tenant_createdAt_idx" ON "ModelCall"("tenant", "createdAt");

-- CreateIndex
CREATE INDEX "ModelCall_createdAt_idx" ON "ModelCall"("createdAt");

-- CreateIndex
CREATE INDEX "ResultTally_tenant_createdAt_idx" ON "ResultTally"("tenant", "createdAt");

-- CreateIndex
CREATE INDEX "ResultTally_createdAt_idx" ON "ResultTally"("createdAt");
