"""Tests of labchat.notebook."""
