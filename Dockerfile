# syntax=docker/dockerfile:1
# One image for every Switchboard process:
#   standalone (default)  node dist/apps/standalone/main.js
#   gateway               node dist/apps/gateway/main.js
#   api                   node dist/apps/api/main.js
# Build:  docker build -t switchboard .

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, compile TypeScript to dist/ (SWC), one bundle per app (esbuild) --
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# --- deps: production dependencies only ---------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# A young generation of 3 x 8 MB, not V8's 3 x 16: fan-out bursts grow RSS less, while joins and
# connects keep most of the CPU a 2 MB one cost them in GC (docs/operations/capacity.md, "Tuning").
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=8 \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data/pglite
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Seed 003's HTML client, served by the api at `/` (found by walking up from dist/).
COPY apps/api/public ./apps/api/public
COPY apps/api/assets ./apps/api/assets
# Embedded PGlite (standalone, or api without DATABASE_URL) keeps its files here.
RUN mkdir -p /data && chown 1000:1000 /data
# The image's `node` user, numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# SIGTERM: readiness goes false, clients get 1012 over WEBSOCKET_DRAIN_TIMEOUT, exit 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/standalone/main.js"]
