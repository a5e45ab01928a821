-- CreateTable
CREATE TABLE "GatewaySetting" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "GatewaySetting_pkey" PRIMARY KEY ("name")
);
