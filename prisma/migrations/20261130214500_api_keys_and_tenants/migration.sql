-- CreateEnum
CREATE TYPE "KeyRole" AS ENUM ('admin', 'user');

-- DropIndex
DROP INDEX "Job_idempotencyKey_key";

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "UploadedModel" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "KeyRole" NOT NULL DEFAULT 'user',
    "tenant" TEXT NOT NULL DEFAULT 'default',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "Job_tenant_createdAt_id_idx" ON "Job"("tenant", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Job_tenant_status_createdAt_id_idx" ON "Job"("tenant", "status", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Job_tenant_idempotencyKey_key" ON "Job"("tenant", "idempotencyKey");

-- CreateIndex
CREATE INDEX "UploadedModel_tenant_idx" ON "UploadedModel"("tenant");

-- CreateIndex
CREATE INDEX "Dataset_tenant_ready_createdAt_idx" ON "Dataset"("tenant", "ready", "createdAt" DESC);

