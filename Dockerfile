# syntax=docker/dockerfile:1
# One image for every role (HOOKBASE_ROLES picks them). Multi-stage: the build stage installs everything, builds
# the SDK workspace, better-sqlite3's native module and the server's bundle, then prunes to production
# dependencies; the runtime stage copies that tree and runs as an unprivileged user.
#
# How TypeScript runs: it does not, at run time. The build stage bundles the sources with esbuild
# (build/bundle.mjs, the build `npm start` runs) into dist/hookbase-<hash of the inputs>/, dist/hookbase pointing at
# it; npm packages stay external, loaded from the pruned node_modules. The runtime runs that JavaScript with plain
# `node`, on the main thread and on the worker threads (cli/backgroundThread.ts loads backgroundWorker.js beside
# the bundle). No TypeScript loader in the process: through tsx, its module hooks took a thread and a V8 isolate of
# their own per isolate, 301 MiB and 18 threads idle against 171 MiB and 14 bundled (docs/performance.md). tsx is
# a devDependency, pruned; esbuild is a dependency (npm start checks the bundle against the sources and bundles
# again when one changed) but the image never needs it: its sources do not change after the build stage.
# (Not built here: no Docker engine on the machine where this changed; `docker build .` is the check.)

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
# The server's JavaScript: dist/hookbase/hookbase.js and its worker's backgroundWorker.js (build/bundle.mjs).
RUN node build/bundle.mjs hookbase
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
# `hookbase` and its arguments: serve by default, or e.g. `docker run … projections rebuild`.
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/hookbase/hookbase.js"]
