"""The baseline of bench/respondent.py: the least a Flask app under gunicorn can do."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
