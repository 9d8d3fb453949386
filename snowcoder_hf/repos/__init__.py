"""Repository structure: which files of a repository import which, and a dependency order for its files."""
