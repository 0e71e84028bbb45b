# execgw's container image: built on Debian 12 with the project's own scripts,
# run on Debian 12 slim with only the shared libraries the binaries need, as
# a non-root user. `docker build -t execgw .` from the repository's root.
# tests/k8s/check_runtime_packages.sh checks (without Docker) that every
# library the binaries load comes from a package the runtime stage installs.

FROM debian:12 AS build
WORKDIR /src
# The scripts first: the toolchain layer is reused while only code changes.
COPY scripts/setup.sh scripts/
RUN scripts/setup.sh --no-lint && rm -rf /var/lib/apt/lists/*
COPY . .
RUN scripts/build.sh execgw execgw-cli

FROM debian:12-slim
# One package a line: tests/k8s/check_runtime_packages.sh reads this list.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libcivetweb1 \
      libcurl4 \
      libgrpc++1.51 \
      libgrpc29 \
      libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 \
      libprotobuf32 \
      libssl3 \
      libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/execgw /src/build/bin/execgw-cli /usr/local/bin/
# A numeric user, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 50051 8081 9090
ENTRYPOINT ["/usr/local/bin/execgw"]
CMD ["--config=/etc/execgw/config.json"]
