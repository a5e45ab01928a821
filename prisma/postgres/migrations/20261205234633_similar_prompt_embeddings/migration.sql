-- AlterTable
ALTER TABLE "Answer" ADD COLUMN     "embedding" BYTEA,
ADD COLUMN     "embeddingModel" TEXT;

-- CreateIndex
CREATE INDEX "Answer_embeddingModel_prompt_idx" ON "Answer"("embeddingModel", "prompt");
