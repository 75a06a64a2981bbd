# Stand-in for the official node:20-bookworm-slim where no container registry
# can be reached (CI here): the local Debian base plus this machine's own
# Node.js and npm. Debian bookworm's `nodejs` package is 18, below the
# platform's >= 20.19, so the host's binary is copied instead (same Debian
# release, so its libraries are there). Built by scripts/docker.mjs.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node \
 && node --version && npm --version
# The base carries this machine's CA bundle (HTTPS here goes through an
# intercepting proxy); Node reads only its own roots unless told.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
