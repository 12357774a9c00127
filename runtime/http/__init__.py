"""The HTTP server: the app, its routes, auth, limits, error bodies and hot reload."""
