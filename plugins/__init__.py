"""Plugins that ship with spcncl, installed as the package `spcncl_plugins`."""
