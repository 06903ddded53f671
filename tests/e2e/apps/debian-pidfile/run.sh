#!/bin/sh
# A service that writes its pid file into its working directory at start, as gunicorn does with
# `pidfile = 'app.pid'`: it fails when its user cannot create files there.
set -e
echo $$ > app.pid
echo "started, pid file $(pwd)/app.pid"
