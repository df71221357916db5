-- AlterTable
ALTER TABLE "Comparison" ADD COLUMN     "tenant" TEXT NOT NULL DEFAULT 'default';

-- CreateIndex
CREATE INDEX "Comparison_tenant_kind_createdAt_id_idx" ON "Comparison"("tenant", "kind", "createdAt" DESC, "id" DESC);

