# debian-pidfile, rewritten wrongly: the user cannot create files in its working directory.
FROM debian:bookworm-slim
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /srv/app
COPY --chown=app:app run.sh ./
USER app
CMD ["./run.sh"]
