# A split of apps/python-psycopg2 that forgets the runtime library: psycopg2 was compiled against
# libpq-dev on python:3.11, and python:3.11-slim has no libpq.so.5, so `import psycopg2` fails.
FROM python:3.11 AS builder

WORKDIR /srv/app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .

FROM python:3.11-slim
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /srv/app
COPY --chown=app:app --from=builder /srv/app /srv/app
COPY --from=builder /usr/local /usr/local
EXPOSE 8080
RUN chown app:app /srv/app
USER app
CMD ["python", "app.py"]
