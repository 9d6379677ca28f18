"""The signed-in person's notifications."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
