-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ResultTally" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenant" TEXT NOT NULL,
    "apiKeyId" TEXT,
    "model" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "results" INTEGER NOT NULL,
    "cacheHits" INTEGER NOT NULL,
    "tokensSaved" BIGINT NOT NULL,
    "savedPromptTokens" BIGINT NOT NULL DEFAULT 0,
    "savedCompletionTokens" BIGINT NOT NULL DEFAULT 0,
    "savedCachedTokens" BIGINT NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL
);
INSERT INTO "new_ResultTally" ("apiKeyId", "cacheHits", "createdAt", "id", "kind", "model", "results", "tenant", "tokensSaved") SELECT "apiKeyId", "cacheHits", "createdAt", "id", "kind", "model", "results", "tenant", "tokensSaved" FROM "ResultTally";
DROP TABLE "ResultTally";
ALTER TABLE "new_ResultTally" RENAME TO "ResultTally";
CREATE INDEX "ResultTally_tenant_createdAt_idx" ON "ResultTally"("tenant", "createdAt");
CREATE INDEX "ResultTally_createdAt_idx" ON "ResultTally"("createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
