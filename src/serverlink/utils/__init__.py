"""Helpers with pyzmq's names (``serverlink.utils.monitor``)."""
