FROM alpine:3.19
WORKDIR /opt/tool
COPY fetch.sh ./
RUN --mount=type=secret,id=DOWNLOAD_TOKEN sh fetch.sh > manifest.txt
CMD ["cat", "/opt/tool/manifest.txt"]
