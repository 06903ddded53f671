# A split of apps/go-templates that copies only the program: the server parses templates/*.html
# from its working directory at start-up (template.Must panics: "pattern matches no files") and
# never listens.
FROM golang:1.19 AS builder

WORKDIR /app

COPY go.mod ./
RUN go mod download

COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -o /app/greeter .

FROM gcr.io/distroless/static-debian12
WORKDIR /app
COPY --chown=nonroot:nonroot --from=builder /app/greeter /app/greeter
EXPOSE 8080
USER nonroot
CMD ["/app/greeter"]
