-- CreateTable
CREATE TABLE "ImagesAnswer" (
    "id" TEXT NOT NULL,
    "tenant" TEXT NOT NULL,
    "imagesKey" TEXT NOT NULL,
    "prompt" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "promptTokens" INTEGER NOT NULL,
    "completionTokens" INTEGER NOT NULL,
    "totalTokens" INTEGER NOT NULL,
    "cachedTokens" INTEGER NOT NULL DEFAULT 0,
    "latencyMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImagesAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImagesAnswerImage" (
    "imagesAnswerId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "imageId" TEXT NOT NULL,

    CONSTRAINT "ImagesAnswerImage_pkey" PRIMARY KEY ("imagesAnswerId","position")
);

-- CreateIndex
CREATE INDEX "ImagesAnswer_imagesKey_prompt_model_idx" ON "ImagesAnswer"("imagesKey", "prompt", "model");

-- CreateIndex
CREATE UNIQUE INDEX "ImagesAnswer_tenant_imagesKey_prompt_model_key" ON "ImagesAnswer"("tenant", "imagesKey", "prompt", "model");

-- CreateIndex
CREATE INDEX "ImagesAnswerImage_imageId_idx" ON "ImagesAnswerImage"("imageId");

-- AddForeignKey
ALTER TABLE "ImagesAnswerImage" ADD CONSTRAINT "ImagesAnswerImage_imagesAnswerId_fkey" FOREIGN KEY ("imagesAnswerId") REFERENCES "ImagesAnswer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImagesAnswerImage" ADD CONSTRAINT "ImagesAnswerImage_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
