"""REST API views, one module per subject. Each parses input, checks
permission, calls one service or selector, and renders."""
