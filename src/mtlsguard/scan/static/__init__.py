"""The static (AST) front-end: builds the neutral project model without importing the project."""
