-- CreateTable
CREATE TABLE "Dataset" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "ready" BOOLEAN NOT NULL DEFAULT false,
    "rows" INTEGER NOT NULL DEFAULT 0,
    "featureShape" JSONB NOT NULL,
    "labelKind" TEXT NOT NULL,
    "classes" JSONB,
    "targetDims" INTEGER NOT NULL DEFAULT 1,
    "labelColumn" TEXT,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DatasetChunk" (
    "datasetId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,
    "features" BYTEA NOT NULL,
    "targets" BYTEA NOT NULL,
    "codes" BYTEA NOT NULL,

    CONSTRAINT "DatasetChunk_pkey" PRIMARY KEY ("datasetId","index")
);

-- CreateIndex
CREATE INDEX "Dataset_ready_createdAt_idx" ON "Dataset"("ready", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "DatasetChunk" ADD CONSTRAINT "DatasetChunk_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

