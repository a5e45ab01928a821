-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Answer" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Answer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Image_sha256_key" ON "Image"("sha256");

-- CreateIndex
CREATE INDEX "Image_createdAt_id_idx" ON "Image"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Answer_kind_createdAt_id_idx" ON "Answer"("kind", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Answer_imageId_kind_createdAt_idx" ON "Answer"("imageId", "kind", "createdAt");

-- CreateIndex
CREATE INDEX "Answer_kind_model_createdAt_idx" ON "Answer"("kind", "model", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Answer_imageId_prompt_model_key" ON "Answer"("imageId", "prompt", "model");

-- AddForeignKey
ALTER TABLE "Answer" ADD CONSTRAINT "Answer_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
