# python-flask, rewritten wrongly: ENV APP_ENV is gone.
FROM python:3.12-slim
RUN apt-get update && apt-get install -y libpq5 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
EXPOSE 5000
STOPSIGNAL SIGINT
CMD ["python", "app.py"]
