# go-api, rewritten wrongly: the binary is copied to another path than the ENTRYPOINT runs.
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/api ./cmd/api

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/api /usr/local/bin/api-server
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/api"]
