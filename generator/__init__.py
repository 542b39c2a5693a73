"""Loads content/ into the rule model and renders SCAP content from it."""
