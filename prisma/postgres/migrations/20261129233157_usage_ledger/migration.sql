-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "admin" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ModelCall" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ModelCall_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResultTally" (
    "id" TEXT NOT NULL,
    "tenant" TEXT NOT NULL,
    "apiKeyId" TEXT,
    "model" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "results" INTEGER NOT NULL,
    "cacheHits" INTEGER NOT NULL,
    "tokensSaved" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ResultTally_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ModelCall_tenant_createdAt_idx" ON "ModelCall"("tenant", "createdAt");

-- CreateIndex
CREATE INDEX "ModelCall_createdAt_idx" ON "ModelCall"("createdAt");

-- CreateIndex
CREATE INDEX "ResultTally_tenant_createdAt_idx" ON "ResultTally"("tenant", "createdAt");

-- CreateIndex
CREATE INDEX "ResultTally_createdAt_idx" ON "ResultTally"("createdAt");
