# syntax=docker/dockerfile:1
#
# Two images from one file:
#   docker build --target api    -t trainer-api .     # HTTP API   (node:20-bookworm-slim)
#   docker build --target worker -t trainer-worker .  # GPU worker (CUDA 11.2 + cuDNN 8.1, for tfjs-node-gpu 4.22)
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
