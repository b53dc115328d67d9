"""Runs localstripe (GPL-3.0, a separate test process) on 127.0.0.1 only, without its
on-disk store, so runs never share state: python launcher.py PORT"""
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

resources.Store.dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
