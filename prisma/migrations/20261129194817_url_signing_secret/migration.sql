-- CreateTable
CREATE TABLE "GatewaySetting" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL
);
