"""Local stand-ins for remote services, for tests, the demo and offline runs: a Hub server, inference servers."""
