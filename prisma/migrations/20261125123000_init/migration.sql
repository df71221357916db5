-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'canceled');

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "spec" JSONB NOT NULL,
    "idempotencyKey" TEXT,
    "requestHash" TEXT,
    "backend" TEXT,
    "progress" JSONB,
    "error" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepMetric" (
    "jobId" UUID NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "learningRate" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "StepMetric_pkey" PRIMARY KEY ("jobId","step")
);

-- CreateTable
CREATE TABLE "EpochMetric" (
    "jobId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "valLoss" DOUBLE PRECISION,
    "accuracy" DOUBLE PRECISION,
    "valAccuracy" DOUBLE PRECISION,

    CONSTRAINT "EpochMetric_pkey" PRIMARY KEY ("jobId","epoch")
);

-- CreateTable
CREATE TABLE "JobArtifacts" (
    "jobId" UUID NOT NULL,
    "modelTopology" JSONB NOT NULL,
    "weightSpecs" JSONB NOT NULL,
    "weightData" BYTEA NOT NULL,
    "optimizerState" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobArtifacts_pkey" PRIMARY KEY ("jobId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Job_idempotencyKey_key" ON "Job"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Job_status_createdAt_id_idx" ON "Job"("status", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Job_createdAt_id_idx" ON "Job"("createdAt" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "StepMetric" ADD CONSTRAINT "StepMetric_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EpochMetric" ADD CONSTRAINT "EpochMetric_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JobArtifacts" ADD CONSTRAINT "JobArtifacts_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

