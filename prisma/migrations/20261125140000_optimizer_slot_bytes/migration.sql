-- AlterTable
ALTER TABLE "JobArtifacts" ADD COLUMN     "optimizerSlotData" BYTEA;

