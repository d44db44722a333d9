"""Tests of labchat.udp."""
