-- AlterTable
ALTER TABLE "JobCheckpoint" ADD COLUMN     "backend" TEXT;

