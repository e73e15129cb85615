# remediator on Node.js 24 LTS. Two stages: the build stage installs every dependency and compiles src/
# to dist/ (`npm run build`); the runtime stage holds only the production dependencies, dist/, and the
# files the service reads (schema/, the example runbooks and inventory). redis-server comes from Debian
# so that the embedded mode (REDIS_URL unset) works too; docker-compose.yml gives it a Redis of its own.
# test/integration/compose.test.ts checks this file offline (no Docker engine on the CI machine).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends redis-server \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production REMEDIATOR_HOST=0.0.0.0 REMEDIATOR_DATA_DIR=/app/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schema ./schema
COPY runbooks ./runbooks
COPY inventory.yaml ./
# The image's own user (uid 1000) owns the data directory: embedded Redis (its password), the pid file,
# the approval-link secret and the generated operator token, all made on first start with mode 0600.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
USER node
EXPOSE 9787
# No curl in the slim image: Node's own fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:9787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 handles SIGTERM and SIGINT itself (src/cli.ts) and stops its redis-server; no shell between.
CMD ["node", "bin/remediator.js", "serve"]
