"""The web application: a factory over explicit settings (nothing is read at import time)."""

from vkc.web.app import create_app
from vkc.web.server import run_server

__all__ = ["create_app", "run_server"]
