"""What the labeling page needs to run plugins: their code, the sandbox frame, the gallery's files."""
from flask import Blueprint

bp = Blueprint("plugin_runtime", __name__)
