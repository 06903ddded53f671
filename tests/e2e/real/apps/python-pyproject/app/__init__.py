import os
import platform
from importlib.metadata import version

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from a pyproject.toml project under gunicorn!\n"


@app.get("/versions")
def versions():
    # What really runs: the interpreter, the packages pip installed (the project itself too),
    # and where the application was imported from.
    return jsonify(
        python=platform.python_version(),
        app=version("pyproject-app"),
        flask=version("flask"),
        werkzeug=version("werkzeug"),
        gunicorn=version("gunicorn"),
        cwd=os.getcwd(),
    )
