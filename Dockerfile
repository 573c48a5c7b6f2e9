# gossip-namesrv: one name server node per container.
#
#   docker build -t gossip-namesrv:local .
#   docker run --rm -p 9876:9876 -p 9877:9877 gossip-namesrv:local
#
# BASE_IMAGE defaults to the official Node.js 20 image. Where no image registry is
# reachable, scripts/make-base-image.sh makes an image of that name from the local
# Node.js runtime first, so this file stays unchanged. Stages:
#   deps    -> package*.json + `npm ci` (dev deps included)
#   build   -> `npm run build` (tsc, and vite for the dashboard page) into dist/
#   runtime -> `npm ci --omit=dev`, dist/, cluster-config/; runs as user `node`
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY cluster-config ./cluster-config
# A single node with no peers when no config is mounted; compose mounts ns1..ns3.json here.
COPY cluster-config/standalone.json /etc/namesrv/namesrv.json
# /data: --data-dir for KV persistence; /credentials: where `namesrv dev-credentials` writes
# the compose cluster's development TLS and secrets (docker-compose.yml). Both owned by `node`
# (uid 1000) so a fresh named volume mounted there is writable. Done with node: the base may
# have no mkdir/chown.
RUN node -e "const fs=require('fs');for(const d of ['/data','/credentials']){fs.mkdirSync(d,{recursive:true});fs.chownSync(d,1000,1000)}"
USER node
# 9876: RocketMQ remoting (TCP); 9877: HTTP + WebSocket (agents, clients, peers, /readyz).
EXPOSE 9876 9877
# No curl in the image: node's own fetch. NAMESRV_HEALTH_PORT if --port is not 9877.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.NAMESRV_HEALTH_PORT||9877)+'/readyz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start", "--config", "/etc/namesrv/namesrv.json"]
