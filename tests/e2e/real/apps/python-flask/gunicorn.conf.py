# Read by gunicorn from its working directory.
bind = "0.0.0.0:8000"
workers = 2
# Written in the working directory: the user the server runs as must be able to create it.
pidfile = "gunicorn.pid"
accesslog = "-"
