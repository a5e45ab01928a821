-- DropIndex
DROP INDEX "Answer_kind_createdAt_id_idx";

-- DropIndex
DROP INDEX "Answer_kind_model_createdAt_idx";

-- DropIndex
DROP INDEX "Image_createdAt_id_idx";

-- DropIndex
DROP INDEX "Image_sha256_key";

-- DropIndex
DROP INDEX "Job_createdAt_id_idx";

-- AlterTable
ALTER TABLE "Answer" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "apiKeyId" TEXT,
ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "tenant" TEXT NOT NULL,
    "label" TEXT,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "requestsPerMinute" INTEGER,
    "tokensPerDay" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "ApiKey_tenant_idx" ON "ApiKey"("tenant");

-- CreateIndex
CREATE INDEX "Answer_tenant_kind_createdAt_id_idx" ON "Answer"("tenant", "kind", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Answer_tenant_kind_model_createdAt_idx" ON "Answer"("tenant", "kind", "model", "createdAt");

-- CreateIndex
CREATE INDEX "Image_sha256_idx" ON "Image"("sha256");

-- CreateIndex
CREATE INDEX "Image_tenant_createdAt_id_idx" ON "Image"("tenant", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Image_tenant_sha256_key" ON "Image"("tenant", "sha256");

-- CreateIndex
CREATE INDEX "Job_tenant_status_createdAt_id_idx" ON "Job"("tenant", "status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Job_tenant_createdAt_id_idx" ON "Job"("tenant", "createdAt", "id");
