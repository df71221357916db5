-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "divergedAtStep" INTEGER;

-- CreateTable
CREATE TABLE "Comparison" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "kind" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "target" DOUBLE PRECISION,
    "config" JSONB NOT NULL,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Comparison_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ComparisonJob" (
    "comparisonId" UUID NOT NULL,
    "variant" INTEGER NOT NULL,
    "jobId" UUID NOT NULL,

    CONSTRAINT "ComparisonJob_pkey" PRIMARY KEY ("comparisonId","variant")
);

-- CreateIndex
CREATE INDEX "Comparison_createdAt_id_idx" ON "Comparison"("createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "ComparisonJob_jobId_key" ON "ComparisonJob"("jobId");

-- AddForeignKey
ALTER TABLE "ComparisonJob" ADD CONSTRAINT "ComparisonJob_comparisonId_fkey" FOREIGN KEY ("comparisonId") REFERENCES "Comparison"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ComparisonJob" ADD CONSTRAINT "ComparisonJob_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

