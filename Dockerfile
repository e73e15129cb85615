# remediator: TypeScript run directly through tsx (a runtime dependency), so there is no build stage.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production REMEDIATOR_HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY schema ./schema
COPY runbooks ./runbooks
COPY inventory.yaml tsconfig.json ./
# The data directory holds the approval-link secret (made on first start, mode 0600): writable by node.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
USER node
EXPOSE 9787
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:9787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/remediator.js", "serve"]
