# The rewrite of apps/python-flask as non-root-user made it before it handed the working
# directory to the new user: `COPY --chown` owns the copied files, not /app itself, which
# WORKDIR created as root. gunicorn, running as app, cannot create gunicorn.pid in /app.
FROM python:3.11 AS builder

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

CMD ["gunicorn", "app:app"]

FROM python:3.11-slim
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /app
COPY --chown=app:app --from=builder /app /app
COPY --from=builder /usr/local /usr/local
EXPOSE 8000
USER app
CMD ["gunicorn", "app:app"]
