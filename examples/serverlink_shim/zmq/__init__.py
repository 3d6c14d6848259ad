"""``import zmq`` that is ``import serverlink``: serverlink's own names, nothing of pyzmq's.

Put this directory first on ``sys.path`` (``run_on_serverlink.py`` does) and
pyzmq-style code runs on serverlink's native API. Every name here is one of
``serverlink``'s; a name serverlink does not have yet is missing here too.
"""

import serverlink as _serverlink

globals().update({k: v for k, v in vars(_serverlink).items() if not k.startswith("_")})
__version__ = _serverlink.__version__
