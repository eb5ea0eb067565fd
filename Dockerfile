# syntax=docker/dockerfile:1
# One image for every role (HOOKBASE_ROLES picks them). Multi-stage: the build stage installs everything and
# builds the SDK workspace and better-sqlite3's native module, then prunes to production dependencies; the
# runtime stage copies that tree and runs as an unprivileged user.
#
# How TypeScript runs: the server is run from its TypeScript sources by tsx, exactly as `npm start` does here.
# tsx is a production dependency for that reason: the embedded store's worker threads register tsx's loader
# themselves (cli/backgroundThread.ts), so a bundle would not remove the need for it. No compile step, no
# sourcemaps to ship; the cost is tsx's start-up transform (about a second) at process start.

ARG NODE_VERSION=20.19-bookworm-slim

FROM node:${NODE_VERSION} AS build
WORKDIR /app
# better-sqlite3 falls back to a source build when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The whole context at once: npm ci needs every workspace's manifest, and their set changes over time.
COPY . .
RUN npm ci --no-audit --no-fund
# The hosted portal page's assets, when this build has the portal workspace (served from portal/dist/hosted).
RUN if node -e "process.exit((require('./package.json').workspaces || []).includes('portal') ? 0 : 1)"; then \
      npm run build -w @hookbase/portal; \
    fi
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION} AS runtime
ENV NODE_ENV=production \
    HOOKBASE_HOST=0.0.0.0 \
    HOOKBASE_PORT=8080 \
    HOOKBASE_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
# /health answers 200 once every role of this process runs (503 while starting).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HOOKBASE_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "cli/main.ts"]
