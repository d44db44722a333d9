"""Tests of labchat.protocols."""
