"""How the official XSDs are found and loaded, offline."""
