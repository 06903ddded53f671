import os
import flask
from views import index

app = flask.Flask(__name__)
