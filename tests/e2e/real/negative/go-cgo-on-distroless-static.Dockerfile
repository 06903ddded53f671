# A split of apps/go-cgo onto the static runtime: without CGO_ENABLED=0 the go command links the
# net package's resolver with cgo, so the program is linked against the C library, and
# distroless/static has no C library and no dynamic loader: it cannot be started at all.
FROM golang:1.19 AS builder

WORKDIR /app

COPY go.mod ./
RUN go mod download

COPY . .
RUN go build -o /app/greeter .

FROM gcr.io/distroless/static-debian12
WORKDIR /app
COPY --chown=nonroot:nonroot --from=builder /app/greeter /app/greeter
COPY --chown=nonroot:nonroot --from=builder /app/templates /app/templates
EXPOSE 8080
USER nonroot
CMD ["/app/greeter"]
