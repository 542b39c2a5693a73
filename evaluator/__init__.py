"""Checks live Docker engines against the rule model and writes the results."""
