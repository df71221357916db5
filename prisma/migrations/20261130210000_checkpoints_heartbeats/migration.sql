-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "heartbeatAt" TIMESTAMP(3),
ADD COLUMN     "resumedFromStep" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "JobCheckpoint" (
    "jobId" UUID NOT NULL,
    "step" INTEGER NOT NULL,
    "jobSteps" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "epochOffset" INTEGER NOT NULL,
    "epochLossSum" DOUBLE PRECISION NOT NULL,
    "epochCorrect" DOUBLE PRECISION NOT NULL,
    "epochSeen" INTEGER NOT NULL,
    "lastLoss" DOUBLE PRECISION,
    "weightSpecs" JSONB NOT NULL,
    "weightData" BYTEA NOT NULL,
    "optimizerState" JSONB NOT NULL,
    "optimizerSlotData" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobCheckpoint_pkey" PRIMARY KEY ("jobId")
);

-- CreateIndex
CREATE INDEX "Job_status_heartbeatAt_idx" ON "Job"("status", "heartbeatAt");

-- AddForeignKey
ALTER TABLE "JobCheckpoint" ADD CONSTRAINT "JobCheckpoint_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

