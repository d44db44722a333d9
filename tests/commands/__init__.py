"""Tests of labchat.commands."""
