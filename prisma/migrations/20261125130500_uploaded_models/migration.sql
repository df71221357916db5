-- CreateTable
CREATE TABLE "UploadedModel" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "modelTopology" JSONB NOT NULL,
    "weightSpecs" JSONB NOT NULL,
    "weightData" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UploadedModel_pkey" PRIMARY KEY ("id")
);

