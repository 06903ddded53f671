import os
import platform
from importlib.metadata import version

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from Flask under gunicorn!\n"


@app.get("/versions")
def versions():
    # What really runs: the interpreter, the packages pip installed, and the pid file gunicorn
    # wrote in the working directory.
    return jsonify(
        python=platform.python_version(),
        flask=version("flask"),
        werkzeug=version("werkzeug"),
        gunicorn=version("gunicorn"),
        cwd=os.getcwd(),
        pidfile=os.path.isfile("gunicorn.pid"),
    )
