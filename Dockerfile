# Tollgate: one image, three roles (start | control-plane | data-plane). The default (last)
# stage carries the console; `--target data-plane` builds an image without it.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY shared ./shared
COPY control-plane ./control-plane
COPY data-plane ./data-plane
COPY plugins ./plugins
COPY cli ./cli
COPY migrations ./migrations
COPY test ./test
COPY bench ./bench
COPY console ./console
# `npm ci` runs `prepare` (tsc, then the console's Vite build); then only production
# dependencies are kept (the console's packages are build-time only).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TOLLGATE_DATA_DIR=/data \
    TOLLGATE_ADMIN_LISTEN=0.0.0.0:8001 \
    TOLLGATE_CLUSTER_LISTEN=0.0.0.0:8005 \
    TOLLGATE_PROXY_LISTEN=0.0.0.0:8000 \
    TOLLGATE_PROXY_SSL_LISTEN=0.0.0.0:8443 \
    TOLLGATE_STATUS_LISTEN=0.0.0.0:8100
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000 8001 8005 8100 8443
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "bin/healthcheck.js", "control-plane"]
ENTRYPOINT ["node", "bin/tollgate.js"]

FROM runtime AS data-plane
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "bin/healthcheck.js", "data-plane"]
CMD ["data-plane"]

FROM runtime AS full
COPY --from=build --chown=node:node /app/console/dist ./console/dist
ENV TOLLGATE_CONSOLE_LISTEN=0.0.0.0:8002
EXPOSE 8002
CMD ["start"]
