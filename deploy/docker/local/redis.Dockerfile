# Stand-in for the official redis:7 where no container registry can be
# reached (CI here): Debian bookworm's redis-server (7.0) on the local Debian
# base. docker-compose.yml starts it with an explicit command line, so it
# needs none of the official image's entrypoint. Built by scripts/docker.mjs.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
