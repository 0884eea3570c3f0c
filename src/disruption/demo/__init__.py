"""The demonstration: synthetic histories and returns, a year of cases, and the demo run."""
