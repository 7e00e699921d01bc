"""pydantic schemas of the configuration language, one module per document kind."""
