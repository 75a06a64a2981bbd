# The platform's own daprd (built on this machine from sidecar/ by
# scripts/ensure-sidecar.mjs) in an image, for CI where neither the official
# daprio/daprd nor a Go toolchain image can be pulled. The binary sits where
# the official image has it (/daprd), so docker-compose.yml runs either.
# That build links glibc dynamically (cgo), hence a Debian base rather than
# scratch. Built by scripts/docker.mjs.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY daprd /daprd
CMD ["/daprd", "--version"]
