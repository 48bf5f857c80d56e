# syntax=docker/dockerfile:1
# jetway's image: the `jetway` CLI on Node 24 LTS. The same image runs both containers deploy/ adds to
# argocd-repo-server: the plugin (command: Argo CD's argocd-cmp-server, which Argo CD's copyutil init
# container puts into the shared /var/run/argocd volume, so it is not copied here) and `jetway serve`.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm pack

FROM node:24-slim
ENV NODE_ENV=production
# curl: plugin.yaml's command, bin/jetway-generate, relays each generate to `jetway serve` over its unix socket with it
# (needs curl >= 7.87 for --url-query; Debian 12 has 7.88)
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
# Argo CD's sidecar convention: uid 999 (the argocd user of Argo CD's own image), with a home directory.
RUN groupadd --gid 999 argocd \
 && useradd --uid 999 --gid 999 --home-dir /home/argocd --create-home --shell /usr/sbin/nologin argocd
COPY --from=build /src/jetway-*.tgz /tmp/pkg/
RUN cd /tmp/pkg \
 && npm install -g ./jetway-*.tgz --omit=dev \
 && rm -rf /tmp/pkg /root/.npm
USER 999:999
WORKDIR /home/argocd
# `jetway <command>`: deploy/ sets `command` in both containers, so neither depends on this.
ENTRYPOINT ["jetway"]
CMD ["--help"]
