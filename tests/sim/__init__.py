"""Tests of labchat.sim."""
