# syntax=docker/dockerfile:1
#
# Three images from one file:
#   docker build --target api    -t trainer-api .     # HTTP API   (node:20-bookworm-slim)
#   docker build --target worker -t trainer-worker .  # GPU worker (CUDA 11.2 + cuDNN 8.1, for tfjs-node-gpu 4.22)
#   docker build --target worker-cuda12 -t trainer-worker-cuda12 .  # GPU worker for CUDA 12 GPUs (Hopper and later)
#
# Both run `npm ci` with npm 11. Its postinstall runs `prisma generate` (into src/store/generated),
# and the install scripts approved by `allowScripts` in package.json run too: @tensorflow/tfjs-node
# and @tensorflow/tfjs-node-gpu download libtensorflow 2.9.1 and their addon from Google's storage,
# so building needs internet. If that download fails, npm skips those optional packages quietly
# and the worker falls back to the wasm backend: check `GET /readyz` after starting.
# The code runs as TypeScript through tsx; there is no separate build step.

# NODE_VERSION only pins the worker's tarball; the API follows the node:20-bookworm-slim tag.
ARG NODE_VERSION=20.20.2
ARG NPM_VERSION=11
# The base of the worker-cuda12 target (FROM can only read arguments declared before the first stage).
ARG CUDA_IMAGE=nvidia/cuda:12.5.1-cudnn-runtime-ubuntu22.04

# ---------------------------------------------------------------------------------------------
# API: install with build tools (tfjs-node's addon builds from source if no prebuilt binary
# matches), then copy the result into a clean runtime image.
FROM node:20-bookworm-slim AS api-build
ARG NPM_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g npm@${NPM_VERSION}
WORKDIR /app
# What `npm ci` and its postinstall (`prisma generate`) read; src/ comes later so that code
# changes do not invalidate the dependency layer.
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
RUN npm ci && npm cache clean --force
COPY src ./src
# The dashboard: its sources and build script come after npm ci (whose postinstall skips the
# build while they are absent), then it is bundled into dist/web.
COPY scripts ./scripts
COPY web ./web
RUN npm run build:web

FROM node:20-bookworm-slim AS api
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=api-build --chown=node:node /app /app
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts", "api"]

# ---------------------------------------------------------------------------------------------
# Worker: tfjs-node-gpu 4.22 loads libtensorflow 2.9.1, built for CUDA 11.2 and cuDNN 8.1.
# The host needs an NVIDIA driver for CUDA 11.2+ and the NVIDIA Container Toolkit.
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS cuda-node
ARG NODE_VERSION
ARG NPM_VERSION
ARG DEBIAN_FRONTEND=noninteractive
# NVIDIA's own apt sources are not needed (CUDA and cuDNN are in the image) and older images
# carry a rotated signing key that breaks `apt-get update`: drop them.
RUN rm -f /etc/apt/sources.list.d/cuda*.list /etc/apt/sources.list.d/nvidia-ml*.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils \
 && rm -rf /var/lib/apt/lists/*
# Node 20 from the official tarball, checked against its published SHA-256.
RUN set -eux; \
    tarball="node-v${NODE_VERSION}-linux-x64.tar.xz"; \
    curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}"; \
    curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" | grep " ${tarball}\$" | sha256sum -c -; \
    tar -xJf "${tarball}" -C /usr/local --strip-components=1 --no-same-owner; \
    rm "${tarball}"; \
    node --version; \
    npm install -g npm@${NPM_VERSION}; \
    npm cache clean --force

FROM cuda-node AS worker-build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
RUN npm ci && npm cache clean --force
COPY src ./src

FROM cuda-node AS worker
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin trainer
ENV NODE_ENV=production \
    TFJS_BACKEND=tensorflow-gpu \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    WORKER_CONCURRENCY=1
WORKDIR /app
COPY --from=worker-build --chown=trainer:trainer /app /app
USER trainer
CMD ["node", "--import", "tsx", "src/main.ts", "worker"]

# ---------------------------------------------------------------------------------------------
# Worker for current GPUs (CUDA 12: Hopper and later), which tfjs-node-gpu's libtensorflow 2.9.1
# (CUDA 11.2) does not serve. `npm run native` compiles tfjs-node 4.22 against a CUDA TensorFlow
# wheel instead (README, "Native TensorFlow (offline build)"):
#   docker build --target worker-cuda12 --build-arg TENSORFLOW_VERSION=2.21.0 -t trainer-worker-cuda12 .
# A wheel of your own (tensorflow-*.whl, the CUDA build, not tensorflow_cpu) put in ./wheels/ is
# used instead of downloading one. CUDA_IMAGE must carry the CUDA and cuDNN that TensorFlow
# release was built for (its "tested build configurations" table); 12.5 and cuDNN 9 are a guess
# for 2.21, check them. This target has never been built where it was written (no Docker engine
# there): the steps are the ones `npm run native` runs on the project's CI machine.

FROM ${CUDA_IMAGE} AS cuda12-node
ARG NODE_VERSION
ARG NPM_VERSION
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils \
 && rm -rf /var/lib/apt/lists/*
RUN set -eux; \
    tarball="node-v${NODE_VERSION}-linux-x64.tar.xz"; \
    curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}"; \
    curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" | grep " ${tarball}\$" | sha256sum -c -; \
    tar -xJf "${tarball}" -C /usr/local --strip-components=1 --no-same-owner; \
    rm "${tarball}"; \
    npm install -g npm@${NPM_VERSION}; \
    npm cache clean --force

FROM cuda12-node AS worker-cuda12-build
ARG TENSORFLOW_VERSION=2.21.0
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip make g++ unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
# The npm tfjs-node packages would load first (src/engine/backend.ts) with their CUDA 11.2
# libtensorflow: removed, so the backend is the one built below.
RUN npm ci \
 && rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu \
 && npm cache clean --force
COPY src ./src
COPY scripts ./scripts
# Only the wheel's libraries and headers are used, so it is downloaded without its Python
# dependencies. The build loads the result on the CPU (no GPU during `docker build`).
RUN --mount=type=bind,source=.,target=/ctx \
    set -eux; \
    wheel="$(ls /ctx/wheels/tensorflow-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"; \
    if [ -z "$wheel" ]; then \
      python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 \
        --platform manylinux_2_27_x86_64 "tensorflow==${TENSORFLOW_VERSION}" -d /tmp/wheels; \
      wheel="$(ls /tmp/wheels/tensorflow-*.whl)"; \
    fi; \
    TENSORFLOW_WHEEL="$wheel" TRAINER_NATIVE_CACHE=/tmp/native-cache npm run native; \
    grep -q '"gpu": true' .native/manifest.json; \
    rm -rf /tmp/wheels /tmp/native-cache .native/logs

FROM cuda12-node AS worker-cuda12
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin trainer
ENV NODE_ENV=production \
    TFJS_BACKEND=tensorflow-gpu \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    WORKER_CONCURRENCY=1
WORKDIR /app
COPY --from=worker-cuda12-build --chown=trainer:trainer /app /app
USER trainer
CMD ["node", "--import", "tsx", "src/main.ts", "worker"]
