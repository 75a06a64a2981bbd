# The four services in one image: compiled JavaScript (npm run build), the
# production dependencies only, run as the unprivileged `node` user, and the
# web client the gateway serves (web/dist, its default WEB_ROOT). Which
# service a container runs is its command, e.g.
#   node --conditions=compiled services/chat-service/dist/main.js
# (docker-compose.yml and deploy/kubernetes/ set it). The base image is a
# build argument so that machines with no registry can use a local one
# (scripts/docker.mjs); everyone else gets the official image.
ARG NODE_IMAGE=node:20-bookworm-slim

# Dependencies first, from the manifests alone, so that a change of code
# reuses these layers.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/contract/package.json packages/contract/
COPY packages/platform/package.json packages/platform/
# Development tooling (npm start's runtime, the test harness): only its
# manifest, for the lockfile; its libraries are devDependencies, so the
# production dependencies leave them out, and the image holds none of it.
COPY packages/devkit/package.json packages/devkit/
COPY services/api-gateway/package.json services/api-gateway/
COPY services/auth-service/package.json services/auth-service/
COPY services/profile-service/package.json services/profile-service/
COPY services/chat-service/package.json services/chat-service/
COPY web/package.json web/

FROM manifests AS production-deps
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM manifests AS build
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json ./
COPY scripts/build-workspace.mjs scripts/
COPY packages/contract/tsconfig.build.json packages/contract/
COPY packages/contract/src packages/contract/src
COPY packages/platform/tsconfig.build.json packages/platform/
COPY packages/platform/src packages/platform/src
COPY services/api-gateway/tsconfig.build.json services/api-gateway/
COPY services/api-gateway/src services/api-gateway/src
COPY services/auth-service/tsconfig.build.json services/auth-service/
COPY services/auth-service/src services/auth-service/src
COPY services/profile-service/tsconfig.build.json services/profile-service/
COPY services/profile-service/src services/profile-service/src
COPY services/chat-service/tsconfig.build.json services/chat-service/
COPY services/chat-service/src services/chat-service/src
# The web client (Vite), served by the gateway from web/dist.
COPY scripts/ensure-web.mjs scripts/
COPY web/index.html web/vite.config.ts web/tsconfig.json web/
COPY web/src web/src
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-deps /app/package.json ./
COPY --from=production-deps /app/node_modules node_modules
COPY --from=build /app/packages/contract/package.json packages/contract/
COPY --from=build /app/packages/contract/dist packages/contract/dist
COPY --from=build /app/packages/platform/package.json packages/platform/
COPY --from=build /app/packages/platform/dist packages/platform/dist
COPY --from=build /app/services/api-gateway/package.json services/api-gateway/
COPY --from=build /app/services/api-gateway/dist services/api-gateway/dist
COPY --from=build /app/services/auth-service/package.json services/auth-service/
COPY --from=build /app/services/auth-service/dist services/auth-service/dist
COPY --from=build /app/services/profile-service/package.json services/profile-service/
COPY --from=build /app/services/profile-service/dist services/profile-service/dist
COPY --from=build /app/services/chat-service/package.json services/chat-service/
COPY --from=build /app/services/chat-service/dist services/chat-service/dist
COPY --from=build /app/web/package.json web/
COPY --from=build /app/web/dist web/dist
USER node
# The service answers /readyz once its sidecar is up with every component it
# needs (both share the network namespace, so 127.0.0.1 reaches the app).
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.APP_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--conditions=compiled", "services/api-gateway/dist/main.js"]
