-- AlterTable
ALTER TABLE "Answer" ADD COLUMN "embedding" BLOB;
ALTER TABLE "Answer" ADD COLUMN "embeddingModel" TEXT;

-- CreateIndex
CREATE INDEX "Answer_embeddingModel_prompt_idx" ON "Answer"("embeddingModel", "prompt");
