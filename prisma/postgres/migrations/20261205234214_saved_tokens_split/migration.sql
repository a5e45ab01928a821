-- AlterTable
ALTER TABLE "ResultTally" ADD COLUMN     "savedCachedTokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "savedCompletionTokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "savedPromptTokens" BIGINT NOT NULL DEFAULT 0;
