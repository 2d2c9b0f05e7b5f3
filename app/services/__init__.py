"""Business rules as plain functions, called by views, the CLI, the API and jobs alike."""
