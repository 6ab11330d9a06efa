# syntax=docker/dockerfile:1
#
# tariff-impact: a release build in the official Rust image, run from distroless.
#
#   docker build -t tariff-impact .
#   docker run --rm -p 50051:50051 -p 50052:50052 -p 9090:9090 tariff-impact
#
# Not built in this project's CI (its machines have no Docker): CI lints this file with
# hadolint (scripts/check_deploy.sh). See deploy/kubernetes/README.md.
#
# What the runtime image needs: the binary only. The built-in catalog, the page and the SQL
# migrations are compiled into it (include_str!, sqlx::migrate!); the protos are compiled at
# build time by protox (pure Rust, no protoc); SQLite is bundled (libsqlite3-sys "bundled") and
# TLS is rustls with ring, so nothing links OpenSSL. It links glibc and libgcc_s, which
# distroless/cc carries; bookworm's builder and debian12's runtime share one glibc (2.36).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the crates.io downloads and compiled dependencies between builds
# (BuildKit), so a source change recompiles the crate alone. The binary is copied out of the
# cached target directory within the same step, since the mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tariff-impact \
    && install -D -m 0755 target/release/tariff-impact /out/tariff-impact \
    && install -d -m 0750 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
# 65532 is distroless's "nonroot" user; numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
COPY --from=build /out/tariff-impact /usr/local/bin/tariff-impact
# The embedded catalog store (SQLite) for objects saved through CatalogService when no
# TARIFF_DATABASE_URL is given: one directory the nonroot user may write. Kubernetes mounts
# an emptyDir here (the root filesystem is read-only there).
COPY --from=build --chown=65532:65532 /out/data /var/lib/tariff-impact
# gRPC and HTTP/JSON share 50051; 50052 serves grpc.health.v1 alone on a thread of its own
# (for probes); 9090 is the admin listener (Prometheus /metrics, /livez, /readyz).
ENV TARIFF_LISTEN=0.0.0.0:50051 \
    TARIFF_HEALTH_LISTEN=0.0.0.0:50052 \
    TARIFF_ADMIN_LISTEN=0.0.0.0:9090 \
    TARIFF_DATA_DIR=/var/lib/tariff-impact \
    TARIFF_JSON_LOGS=true
EXPOSE 50051 50052 9090
# Exec form: distroless has no shell. Exit 0 only when health on the probe port is SERVING
# (NOT_SERVING while the server drains after SIGTERM).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/tariff-impact", "health", "--addr", "127.0.0.1:50052"]
# SIGTERM (docker stop, Kubernetes) starts the drain: health NOT_SERVING for
# TARIFF_DRAIN_GRACE_SECONDS (2), then in-flight calls get TARIFF_DRAIN_TIMEOUT_SECONDS (20).
# docker stop waits 10 s by default before SIGKILL: use `docker stop -t 30`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tariff-impact"]
CMD ["serve"]
