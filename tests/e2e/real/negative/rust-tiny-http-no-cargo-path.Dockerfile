# A split of apps/rust-tiny-http that copies the program `cargo install` put in
# /usr/local/cargo/bin but not the PATH of rust:1.63 that finds it: CMD ["hello-server"] is not
# found on debian:trixie-slim's PATH.
FROM rust:1.63 AS builder

WORKDIR /usr/src/hello-server
COPY . .

RUN cargo install --locked --path .

FROM debian:trixie-slim
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /usr/src/hello-server
COPY --from=builder /usr/local/cargo/bin/hello-server /usr/local/cargo/bin/hello-server
EXPOSE 8000
USER app
CMD ["hello-server"]
