-- CreateTable
CREATE TABLE "TenantErasure" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tenant" TEXT NOT NULL,
    "erasedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The access mode is stored from now on: closed once a key has existed, open again only by the keys open command.
-- A database that already has keys was closed by them, and stays closed when they are deleted.
INSERT INTO "GatewaySetting" ("name", "value") SELECT 'access_mode', 'closed' WHERE EXISTS (SELECT 1 FROM "ApiKey");
