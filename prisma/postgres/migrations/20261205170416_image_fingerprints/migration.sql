-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "fingerprintGrid" BYTEA,
ADD COLUMN     "hashBand0" INTEGER,
ADD COLUMN     "hashBand1" INTEGER,
ADD COLUMN     "hashBand2" INTEGER,
ADD COLUMN     "hashBand3" INTEGER;

-- CreateIndex
CREATE INDEX "Image_tenant_hashBand0_idx" ON "Image"("tenant", "hashBand0");

-- CreateIndex
CREATE INDEX "Image_tenant_hashBand1_idx" ON "Image"("tenant", "hashBand1");

-- CreateIndex
CREATE INDEX "Image_tenant_hashBand2_idx" ON "Image"("tenant", "hashBand2");

-- CreateIndex
CREATE INDEX "Image_tenant_hashBand3_idx" ON "Image"("tenant", "hashBand3");
